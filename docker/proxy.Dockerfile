# The buffering reverse proxy in front of gunicorn: Debian's nginx on the offline base image.
# Build with docker/build-deploy-images.sh proxy; the config is docker/nginx.conf.template.
FROM podium/base:bookworm

# gettext-base gives envsubst, which fills the template's ${PODIUM_...} names at start.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx gettext-base \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10002 --home-dir /nonexistent --shell /usr/sbin/nologin podium-proxy \
    && mkdir -p /tmp/nginx && chown podium-proxy /tmp/nginx

COPY docker/nginx.conf.template /etc/podium/nginx.conf.template
COPY docker/proxy-entrypoint.sh /usr/local/bin/podium-proxy
USER podium-proxy
EXPOSE 8080
CMD ["/usr/local/bin/podium-proxy"]
