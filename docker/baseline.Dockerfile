# The baseline's submission image: runs `python -m baselines.mbert.predict` on /input → /output.
# Build it with docker/baseline/build.sh, which assembles the context (code, checkpoint, torch wheel,
# CA bundle) — this file expects that context, not the repository root.
FROM podium/base:bookworm

# "cpu": install the torch wheel the build script put in wheels/ (PyPI's plain torch is the CUDA
# build, GBs). "cuda": install TORCH_SPEC from PyPI for GPU hosts.
ARG TORCH=cpu
ARG TORCH_SPEC=torch==2.13.0

# PyPI is reached through a TLS-intercepting proxy during builds; pip needs its CA to trust it.
COPY ca-certificates.crt /etc/ssl/certs/podium-build-ca.crt
ENV PIP_CERT=/etc/ssl/certs/podium-build-ca.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

COPY wheels/ /tmp/wheels/
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \
 && if [ "$TORCH" = cpu ]; then /opt/venv/bin/pip install /tmp/wheels/torch-*.whl; \
    else /opt/venv/bin/pip install "$TORCH_SPEC"; fi \
 && /opt/venv/bin/pip install -r /tmp/requirements.txt \
 && rm -rf /tmp/wheels /tmp/requirements.txt

COPY code/ /opt/podium/
COPY checkpoint/ /opt/podium/checkpoint/
# Byte-compile now: containers run read-only, so nothing can be cached at start-up. The
# checkpoint must be world-readable: submissions run as an unprivileged user (safetensors are 0600).
RUN /opt/venv/bin/python -m compileall -q /opt/podium \
 && chmod -R a+rX /opt/podium

# Offline by design; HF libraries want a writable home for caches, /tmp is the writable tmpfs.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/opt/podium \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HOME=/tmp/hf \
    PODIUM_CHECKPOINT=/opt/podium/checkpoint \
    PODIUM_INPUT=/input \
    PODIUM_OUTPUT=/output
WORKDIR /opt/podium
ENTRYPOINT ["python", "-m", "baselines.mbert.predict"]
