# The Podium worker image (Celery): runs team containers through the host's Docker socket.
# Build with docker/build-deploy-images.sh (see web.Dockerfile for the context it sends).
FROM podium/base:bookworm

COPY build-ca.crt /usr/local/share/podium/build-ca.crt
ENV PIP_CERT=/usr/local/share/podium/build-ca.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

WORKDIR /app
COPY requirements.txt constraints.txt docker/deploy-requirements.sh /app/
RUN python3 -m venv /opt/venv \
    && bash /app/deploy-requirements.sh /app/requirements.txt > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt -c /app/constraints.txt

COPY . /app
# The artifact volume takes this folder's owner when a worker mounts it first: the web's user
# (uid 10001, web.Dockerfile) must be able to write uploads there.
RUN rm -f /app/build-ca.crt \
    && mkdir -p /srv/podium/artifacts /srv/podium/var \
    && chown 10001 /srv/podium/artifacts /srv/podium/var

# Root inside this container: it talks to /var/run/docker.sock, which is root on the host anyway.
# Team code never runs here; it runs in the locked-down containers this worker starts.
CMD ["celery", "-A", "podium", "worker", "--concurrency", "1", "--loglevel", "INFO"]
