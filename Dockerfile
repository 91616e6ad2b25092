# rnnviz: the app only (no PyTorch, no browser, no tests), pinned by requirements.lock.
#   docker build -t rnnviz .
#   docker run --rm -p 8501:8501 rnnviz          # then http://localhost:8501
# Not built on the project's machine (it has no Docker engine): scripts/container_check.py builds
# the same environment as a venv from the same lock and starts the app from it. See docs/deploy.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPENBLAS_NUM_THREADS=1

# A user without privileges runs the app; it owns nothing in /app.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin rnnviz

WORKDIR /app
COPY requirements.txt requirements.lock ./
RUN python -m pip install -r requirements.txt -c requirements.lock

COPY .streamlit/config.toml .streamlit/config.toml
COPY app.py ./
COPY rnnviz ./rnnviz

USER rnnviz
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"]
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true", "--server.fileWatcherType=none", "--browser.gatherUsageStats=false"]
