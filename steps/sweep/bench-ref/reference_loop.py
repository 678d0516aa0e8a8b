"""Reference client for `npm run bench:client`: the vLLM benchmark's streaming request loop (benchmarks/
backend_request_func.py, async_request_openai_completions), written for this bench on Debian's python3-aiohttp.

One aiohttp.ClientSession; per request `async for chunk in response.content` (line iteration), `.strip()`,
`removeprefix("data: ")`, `json.loads` per line, a `time.perf_counter()` stamp per chunk with choices (TTFT for
the first, an ITL entry for the rest, the text appended, as vLLM's loop does), the output count from the final
usage chunk. Closed loop: `concurrency` workers share the request counter.

Usage: python3 reference_loop.py URL CONCURRENCY N1 N2 ... -> one JSON line per batch: {"requests", "chunks",
"cpu_us", "failed"} (CPU: resource.getrusage(RUSAGE_SELF), the whole process, all threads).
"""
import asyncio
import json
import resource
import sys
import time

import aiohttp

PAYLOAD = {
    "model": "mistral",
    "prompt": "Explain paged attention in one paragraph.",
    "max_tokens": 200,
    "temperature": 0,
    "ignore_eos": True,
    "stream": True,
    "stream_options": {"include_usage": True},
}


async def one(session, url):
    # Per chunk, what vLLM's async_request_openai_completions does: a stamp, TTFT on the first chunk with
    # choices, an ITL entry for the others, the text appended; the count from the usage chunk.
    generated_text = ""
    itl = []
    ttft = 0.0
    first_chunk_received = False
    output_tokens = None
    chunks = 0
    st = time.perf_counter()
    most_recent_timestamp = st
    async with session.post(url, json=PAYLOAD) as response:
        if response.status != 200:
            return 0, False
        async for chunk_bytes in response.content:
            chunk_bytes = chunk_bytes.strip()
            if not chunk_bytes:
                continue
            chunk = chunk_bytes.decode("utf-8").removeprefix("data: ")
            if chunk != "[DONE]":
                data = json.loads(chunk)
                if choices := data.get("choices"):
                    text = choices[0].get("text")
                    timestamp = time.perf_counter()
                    if not first_chunk_received:
                        first_chunk_received = True
                        ttft = time.perf_counter() - st
                    else:
                        itl.append(timestamp - most_recent_timestamp)
                    most_recent_timestamp = timestamp
                    generated_text += text or ""
                    chunks += 1
                elif usage := data.get("usage"):
                    output_tokens = usage.get("completion_tokens")
    return chunks, first_chunk_received and output_tokens == chunks and ttft > 0


async def batch(session, url, concurrency, n):
    left = n
    chunks = 0
    failed = 0

    async def worker():
        nonlocal left, chunks, failed
        while left > 0:
            left -= 1
            k, ok = await one(session, url)
            chunks += k
            failed += 0 if ok else 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return chunks, failed


def cpu_us():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1e6


async def main():
    url, concurrency, sizes = sys.argv[1] + "/v1/completions", int(sys.argv[2]), [int(x) for x in sys.argv[3:]]
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=6 * 60 * 60)) as session:
        await batch(session, url, concurrency, concurrency)  # warm-up: connections, imports
        for n in sizes:
            c0 = cpu_us()
            chunks, failed = await batch(session, url, concurrency, n)
            print(json.dumps({"requests": n, "chunks": chunks, "cpu_us": cpu_us() - c0, "failed": failed}), flush=True)


asyncio.run(main())
