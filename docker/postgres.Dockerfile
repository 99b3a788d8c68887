# PostgreSQL 15 from Debian's own package, on the offline base image (no registry pull needed).
# Same contract as the official image where compose uses it: POSTGRES_DB, POSTGRES_USER,
# POSTGRES_PASSWORD on first start, data in /var/lib/postgresql/data, pg_isready for health.
FROM podium/base:bookworm

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql

COPY docker/postgres-entrypoint.sh /usr/local/bin/podium-postgres
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
CMD ["/usr/local/bin/podium-postgres"]
