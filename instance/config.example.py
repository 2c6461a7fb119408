# Copy to instance/config.py (git-ignored) to override defaults on this machine.
# Environment variables still win over this file. scripts/run.sh writes one with random secrets.
# SECRET_KEY = "…at least 32 random characters…"
# JWT_SECRET_KEY = "…at least 32 random characters…"
# DATABASE_URL = "postgresql://party@127.0.0.1:5432/party"
# PUBLIC_BASE_URL = "https://party.example.com"
# WECHAT_APPID = "wx…"
# WECHAT_SECRET = "…"
