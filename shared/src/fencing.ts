// Region fencing: the store's side of the ownership epoch. A zone that claims a region raises the
// region's epoch in the store before it opens the room and loads any ship; from then on the store
// refuses writes carrying an older epoch, so a previous owner that was paused or cut off cannot
// overwrite the new owner's work. Persistence owns the data and implements this over PostgreSQL
// (`createRegionFencing(pool)` in @starlane/persistence).

export interface RegionFencing {
  /**
   * Raises `region`'s epoch to `epoch` and resolves the region's current epoch. Rejects if the region
   * already has a newer epoch: the caller's claim is stale and it must not act on the region.
   */
  fence(region: string, epoch: number): Promise<number>;
  /** The region's current epoch; 0 if nobody has fenced or written it yet. */
  current(region: string): Promise<number>;
}
