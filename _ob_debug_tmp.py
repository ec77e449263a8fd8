import asyncio, sys, time
from collections import Counter, defaultdict
import bench.outbound_bench as ob
import services.responder.sender as snd
from services.responder.transports.messaging import MessagingTransport
import shared.spapi.calls as calls

stats = defaultdict(list)
def timed(name, fn):
    async def wrapper(*a, **k):
        t = time.monotonic()
        try:
            return await fn(*a, **k)
        finally:
            stats[name].append(time.monotonic() - t)
    return wrapper

MessagingTransport.send = timed("transport.send", MessagingTransport.send)
snd.OutboxSender._record = timed("record", snd.OutboxSender._record)
snd.OutboxSender._claim = timed("claim", snd.OutboxSender._claim)
snd.OutboxSender.expire_stale = timed("expire", snd.OutboxSender.expire_stale)
calls.RateLimiter.acquire = timed("limiter", calls.RateLimiter.acquire)
import httpx
httpx.AsyncClient.request = timed("http", httpx.AsyncClient.request)
r = asyncio.run(ob.run(sellers=int(sys.argv[1]), messages_per_seller=int(sys.argv[2])))
for k, v in stats.items():
    v.sort()
    print(k, len(v), "mean %.4f p50 %.4f p90 %.4f max %.4f" % (sum(v)/len(v), v[len(v)//2], v[int(len(v)*.9)], v[-1]))
print(r)
import resource
s = resource.getrusage(resource.RUSAGE_SELF); c = resource.getrusage(resource.RUSAGE_CHILDREN)
print("self cpu", s.ru_utime + s.ru_stime, "children cpu", c.ru_utime + c.ru_stime)
