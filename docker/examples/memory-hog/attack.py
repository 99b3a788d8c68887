"""Hostile: keeps allocating (and touching) memory until the kernel stops it."""

chunks = []
while True:
    block = bytearray(16 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1  # touch every page so it is really resident
    chunks.append(block)
    print(f"allocated {len(chunks) * 16} MB", flush=True)
