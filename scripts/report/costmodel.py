"""The cost model of the report's Part 4, kept apart so test.sh can check the arithmetic.

Per million invocations, for one runtime, one architecture:

    cold  = invocations x cold_rate           (invocations that start an environment)
    warm  = invocations - cold
    cold billed ms = ceil(init_ms + first_invoke_ms)   (INIT is billed, see prices.py)
    warm billed ms = ceil(warm_ms), at least 1
    GB-s  = (cold x cold billed ms + warm x warm billed ms) / 1000 x memory_mb / 1024
    cost  = GB-s x price per GB-s + invocations / 1e6 x price per million requests
"""

import math


def billed_ms(ms):
    """Lambda bills duration in whole milliseconds, rounded up, at least 1 ms."""
    # Round first so that 2.0000000001 (a float sum) does not become 3.
    return max(1, math.ceil(round(ms, 6)))


def cost(init_ms, first_ms, warm_ms, memory_mb, cold_rate, invocations, price):
    if not (0 <= cold_rate <= 1):
        raise ValueError(f"cold_rate {cold_rate} is not between 0 and 1")
    if memory_mb <= 0 or invocations <= 0:
        raise ValueError(f"memory_mb {memory_mb} and invocations {invocations} must be positive")
    cold = invocations * cold_rate
    warm = invocations - cold
    cold_ms = billed_ms(init_ms + first_ms)
    warm_ms_billed = billed_ms(warm_ms)
    total_ms = cold * cold_ms + warm * warm_ms_billed
    gb_s = total_ms / 1000 * memory_mb / 1024
    duration_usd = gb_s * price["gb_second"]
    request_usd = invocations / 1e6 * price["request_per_million"]
    return {
        "cold": cold,
        "warm": warm,
        "cold_billed_ms": cold_ms,
        "warm_billed_ms": warm_ms_billed,
        "total_billed_ms": total_ms,
        "gb_s": gb_s,
        "duration_usd": duration_usd,
        "request_usd": request_usd,
        "total_usd": duration_usd + request_usd,
    }
