import asyncio, sys, time
import httpx
import bench.outbound_bench as ob
from shared.spapi import client as spc

class Bounded(httpx.AsyncBaseTransport):
    def __init__(self, inner, limit):
        self._inner = inner; self._gate = asyncio.Semaphore(limit)
    async def handle_async_request(self, request):
        async with self._gate:
            response = await self._inner.handle_async_request(request)
            try:
                body = b"".join([chunk async for chunk in response.stream])
            finally:
                await response.aclose()
        return httpx.Response(response.status_code, headers=response.headers, content=body, extensions=response.extensions)
    async def aclose(self):
        await self._inner.aclose()

orig = spc.SpApiClient.__init__
def init(self, settings, **kw):
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16, keepalive_expiry=4.0)
    kw["http"] = httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout_s), transport=Bounded(httpx.AsyncHTTPTransport(limits=limits), 16))
    orig(self, settings, **kw)
spc.SpApiClient.__init__ = init
ob.SpApiClient = spc.SpApiClient
r = asyncio.run(ob.run(sellers=int(sys.argv[1]), messages_per_seller=int(sys.argv[2])))
print(r)
import resource
s = resource.getrusage(resource.RUSAGE_SELF); c = resource.getrusage(resource.RUSAGE_CHILDREN)
print("self cpu", s.ru_utime + s.ru_stime, "children cpu", c.ru_utime + c.ru_stime)
