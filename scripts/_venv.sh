# Sourced by run.sh and test.sh: make .venv and install a requirements file when it changed.
ensure_venv() {
  local reqs="$1"
  local py="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$py" -m venv .venv
  fi
  local stamp=".venv/.installed-$(basename "$reqs")"
  local want
  want="$(cat "$reqs" requirements.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing $reqs"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$reqs"
    echo "$want" > "$stamp"
  fi
}
