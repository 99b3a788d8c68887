# The Podium web image (Django + gunicorn), built on the offline base image.
# Build with docker/build-deploy-images.sh: it sends a clean `git archive` of HEAD as the context,
# plus build-ca.crt (the host's CA bundle, needed where PyPI is reached through a TLS proxy).
FROM podium/base:bookworm

COPY build-ca.crt /usr/local/share/podium/build-ca.crt
ENV PIP_CERT=/usr/local/share/podium/build-ca.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

WORKDIR /app
COPY requirements.txt constraints.txt docker/deploy-requirements.sh /app/
# The site needs neither the baseline's model stack (torch, transformers) nor the test tools.
RUN python3 -m venv /opt/venv \
    && bash /app/deploy-requirements.sh /app/requirements.txt > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt -c /app/constraints.txt

COPY . /app
RUN rm -f /app/build-ca.crt \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app podium \
    && mkdir -p /app/var /srv/podium/artifacts /srv/podium/var \
    && chown podium /app/var /srv/podium/artifacts /srv/podium/var

USER podium
EXPOSE 8000
CMD ["gunicorn", "podium.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "600"]
