# syntax=docker/dockerfile:1
# Build: docker build -t rota .
# Migrate (one-off, before starting new code): docker run --rm -e DATABASE_URL=... rota rota migrate
# Serve: docker run -e DATABASE_URL=... -e ROTA_SECRET_KEY=... -p 8000:8000 rota

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/rota
ENV PATH=/opt/rota/bin:$PATH
COPY pyproject.toml README.md alembic.ini ./
COPY scheduler ./scheduler
COPY api ./api
COPY solver ./solver
COPY migrations ./migrations
COPY bench ./bench
RUN pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir .

FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 rota
COPY --from=build /opt/rota /opt/rota
ENV PATH=/opt/rota/bin:$PATH \
    ROTA_ENV=production \
    PYTHONUNBUFFERED=1
USER rota
WORKDIR /home/rota
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
# Migrations are their own command (`rota migrate`), never run implicitly by the server.
CMD ["rota", "serve", "--host", "0.0.0.0", "--port", "8000"]
