/**
 * `[start, end)` of each shard of `count` items, `size` per shard. Shard boundaries depend only on
 * the count and the configured size, never on how many workers run them, so every executor gives
 * the same shards (and the same per-shard random streams).
 */
export function shardRanges(count: number, size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < count; start += size) out.push([start, Math.min(count, start + size)]);
  return out;
}
