# The baseline's submission image: runs `python -m baselines.mbert.predict` on /input → /output.
# Build it with docker/baseline/build.sh, which assembles the context (code, checkpoint, torch wheel,
# CA bundle) — this file expects that context, not the repository root.
#
# Two stages: the first installs the Python environment, the second copies only /opt/venv, so
# neither the torch wheel, pip's build files nor the build CA end up in a layer of the image.
FROM podium/base:bookworm AS environment

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
# Inference never compiles extensions or links against torch, so its C++ headers, static
# libraries, test suite and test binaries (~200 MB) are dead weight; so are pip and setuptools.
RUN python3 -m venv /opt/venv \
 && if [ "$TORCH" = cpu ]; then /opt/venv/bin/pip install /tmp/wheels/torch-*.whl; \
    else /opt/venv/bin/pip install "$TORCH_SPEC"; fi \
 && /opt/venv/bin/pip install -r /tmp/requirements.txt \
 && site=$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
 && rm -rf "$site/torch/include" "$site/torch/share/cmake" "$site/torch/test" \
 && rm -f "$site"/torch/bin/test_* "$site"/torch/bin/*Test "$site"/torch/bin/protoc* \
 && find "$site" -name '*.a' -delete \
 && /opt/venv/bin/pip uninstall --yes --quiet pip setuptools

FROM podium/base:bookworm

COPY --from=environment /opt/venv /opt/venv
COPY code/ /opt/podium/
COPY checkpoint/ /opt/podium/checkpoint/
# Byte-compile now: containers run read-only, so nothing can be cached at start-up. (build.sh made
# the context world-readable, since submissions run as an unprivileged user: a chmod here would
# copy every file into one more layer.)
RUN /opt/venv/bin/python -m compileall -q /opt/podium

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
