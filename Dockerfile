FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini worker.py ./
COPY core core
COPY cli cli
COPY api api
COPY models models
COPY workflows workflows
COPY activities activities
COPY migrations migrations
RUN pip install --no-cache-dir . && useradd --system recoveryos
USER recoveryos
ENV RECOVERYOS_ENVIRONMENT=production RECOVERYOS_LOG_JSON=true
CMD ["recoveryos", "api", "--host", "0.0.0.0"]
