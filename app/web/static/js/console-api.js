/* The console's API client: login, tokens, refresh, logout, uploads and downloads.
 *
 * Tokens live in this tab's sessionStorage (in memory when storage is unavailable): never in a
 * cookie, never in localStorage, so closing the tab ends the session and no other site or tab
 * can send them. Every call carries `Authorization: Bearer …` and no cookies. An answer of 401
 * `auth.token_expired` renews the access token once with the refresh token and repeats the call;
 * any other 401 ends the session. No framework, no build step. */
(function () {
  "use strict";

  var ACCESS_KEY = "party.console.access";
  var REFRESH_KEY = "party.console.refresh";
  var TIMEOUT_MS = 20000;
  var DOWNLOAD_TIMEOUT_MS = 120000;

  // --- where the tokens are kept -------------------------------------------------------------

  var memory = {};
  var storage = (function () {
    try {
      var probe = "party.console.probe";
      window.sessionStorage.setItem(probe, "1");
      window.sessionStorage.removeItem(probe);
      return window.sessionStorage;
    } catch (e) {
      return null; // storage blocked: keep the tokens in memory for this page only
    }
  })();

  function read(key) {
    return storage ? storage.getItem(key) : memory[key] || null;
  }

  function write(key, value) {
    if (storage) {
      storage.setItem(key, value);
    } else {
      memory[key] = value;
    }
  }

  function clearTokens() {
    if (storage) {
      storage.removeItem(ACCESS_KEY);
      storage.removeItem(REFRESH_KEY);
    }
    memory = {};
  }

  function hasSession() {
    return !!(read(ACCESS_KEY) && read(REFRESH_KEY));
  }

  // --- errors --------------------------------------------------------------------------------

  /** A failed call: `status` 0 means the server could not be reached. */
  function ApiError(status, code, message, details) {
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.message = message;
    this.details = details || {};
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  function unreachable() {
    return new ApiError(0, "network", "无法连接服务器，请检查网络后重试");
  }

  function fromResponse(res, body) {
    var error = body && body.error;
    if (error) {
      return new ApiError(res.status, error.code, error.message, error.details);
    }
    return new ApiError(res.status, "http_" + res.status, "服务器暂时无法处理（" + res.status + "）");
  }

  function readJson(res) {
    return res.json().then(
      function (body) { return body; },
      function () { return null; }
    );
  }

  var sessionEndedHandlers = [];

  function endSession(error) {
    clearTokens();
    sessionEndedHandlers.forEach(function (fn) { fn(error); });
  }

  // --- requests ------------------------------------------------------------------------------

  function send(method, path, options) {
    var headers = { Accept: options.accept || "application/json" };
    var token = options.auth === false ? null : read(ACCESS_KEY);
    if (token) {
      headers.Authorization = "Bearer " + token;
    }
    var body;
    if (options.form !== undefined) {
      body = options.form; // FormData: the browser sets the multipart boundary
    } else if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, options.timeout || TIMEOUT_MS);
    return fetch(path, {
      method: method,
      headers: headers,
      body: body,
      cache: "no-store",
      credentials: "omit",
      signal: controller.signal,
    }).then(
      function (res) {
        clearTimeout(timer);
        return res;
      },
      function () {
        clearTimeout(timer);
        throw unreachable();
      }
    );
  }

  var refreshing = null; // one renewal at a time, shared by the calls that need it

  function refreshAccess() {
    if (!refreshing) {
      var refreshToken = read(REFRESH_KEY);
      refreshing = fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { Accept: "application/json", Authorization: "Bearer " + refreshToken },
        cache: "no-store",
        credentials: "omit",
      })
        .then(
          function (res) {
            return readJson(res).then(function (body) {
              if (res.ok && body && body.access_token) {
                write(ACCESS_KEY, body.access_token);
                return;
              }
              throw fromResponse(res, body);
            });
          },
          function () { throw unreachable(); }
        )
        .then(
          function () { refreshing = null; },
          function (error) {
            refreshing = null;
            throw error;
          }
        );
    }
    return refreshing;
  }

  /** A call with the session's token; renews an expired access token once. Resolves to the
   *  Response when it is OK, rejects with an ApiError otherwise. */
  function call(method, path, options) {
    options = options || {};
    var sentWith = read(ACCESS_KEY);
    return send(method, path, options).then(function (res) {
      if (res.ok) {
        return res;
      }
      return readJson(res).then(function (body) {
        var error = fromResponse(res, body);
        if (res.status !== 401 || options.auth === false) {
          throw error;
        }
        // logging out needs no "session ended" message, whatever the server says
        var end = options.quiet ? clearTokens : endSession;
        if (error.code === "auth.token_expired" && !options.retried && read(REFRESH_KEY)) {
          var current = read(ACCESS_KEY);
          if (current && current !== sentWith) {
            // renewed by a sibling call while this one was on its way: no second renewal
            return call(method, path, Object.assign({}, options, { retried: true }));
          }
          return refreshAccess().then(
            function () {
              return call(method, path, Object.assign({}, options, { retried: true }));
            },
            function (refreshError) {
              if (refreshError.status === 0) {
                throw refreshError; // offline: keep the session, try again later
              }
              var ended = new ApiError(401, "auth.token_expired", "登录已过期，请重新登录");
              end(ended);
              throw ended;
            }
          );
        }
        end(error);
        throw error;
      });
    });
  }

  function getJson(path) {
    return call("GET", path).then(function (res) {
      return res.json();
    });
  }

  function sendJson(method, path, data) {
    return call(method, path, { json: data }).then(function (res) {
      return res.status === 204 ? null : res.json();
    });
  }

  /** A multipart upload (FormData) with the session's token; resolves to the JSON answer. */
  function upload(path, form) {
    return call("POST", path, { form: form, timeout: DOWNLOAD_TIMEOUT_MS }).then(function (res) {
      return res.json();
    });
  }

  /** A file fetched with the token, as a Blob (for a preview or a data: URL). */
  function getBlob(path) {
    return call("GET", path, { accept: "*/*", timeout: DOWNLOAD_TIMEOUT_MS }).then(function (res) {
      return res.blob();
    });
  }

  // --- session -------------------------------------------------------------------------------

  function login(username, password) {
    return send("POST", "/api/v1/auth/login", {
      auth: false,
      json: { username: username, password: password },
    }).then(function (res) {
      return readJson(res).then(function (body) {
        if (!res.ok || !body || !body.access_token) {
          throw fromResponse(res, body);
        }
        write(ACCESS_KEY, body.access_token);
        write(REFRESH_KEY, body.refresh_token);
      });
    });
  }

  /** Revoke both tokens on the server, then forget them here whatever the answer. */
  function logout() {
    var refreshToken = read(REFRESH_KEY);
    if (!read(ACCESS_KEY)) {
      clearTokens();
      return Promise.resolve();
    }
    var body = { json: { refresh_token: refreshToken }, quiet: true };
    return call("POST", "/api/v1/auth/logout", body).then(
      function () { clearTokens(); },
      function (error) {
        clearTokens();
        if (error.status === 0) {
          throw error; // said to the user: the server may still accept the tokens until expiry
        }
      }
    );
  }

  // --- downloads -----------------------------------------------------------------------------

  function filenameOf(res, fallback) {
    var header = res.headers.get("Content-Disposition") || "";
    var star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
    if (star) {
      try {
        return decodeURIComponent(star[1].trim());
      } catch (e) {
        // fall through to the plain name
      }
    }
    var plain = /filename\s*=\s*"([^"]+)"/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  /** Fetch an export with the bearer token and save it through an object URL. */
  function download(path, fallbackName) {
    return call("GET", path, { accept: "*/*", timeout: DOWNLOAD_TIMEOUT_MS }).then(function (res) {
      var type = (res.headers.get("Content-Type") || "application/octet-stream").split(";")[0];
      var name = filenameOf(res, fallbackName);
      return res.blob().then(function (blob) {
        var typed = blob.type ? blob : new Blob([blob], { type: type });
        var url = URL.createObjectURL(typed);
        var link = document.createElement("a");
        link.href = url;
        link.download = name;
        link.hidden = true;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
        return { name: name, type: type, size: typed.size };
      });
    });
  }

  window.ConsoleApi = {
    ApiError: ApiError,
    hasSession: hasSession,
    login: login,
    logout: logout,
    getJson: getJson,
    sendJson: sendJson,
    upload: upload,
    getBlob: getBlob,
    download: download,
    onSessionEnded: function (fn) { sessionEndedHandlers.push(fn); },
  };
})();
