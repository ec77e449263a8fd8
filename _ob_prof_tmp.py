import asyncio, sys, cProfile, pstats
sys.modules['sniffio'] = None
import bench.outbound_bench as ob
prof = cProfile.Profile()
prof.enable()
r = asyncio.run(ob.run(sellers=100, messages_per_seller=8))
prof.disable()
print(r)
p = pstats.Stats(prof); p.sort_stats('tottime').print_stats(30)
