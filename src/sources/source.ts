/**
 * Where zone files come from. A source reads `<domain>.toml` texts (from a folder, an S3 bucket,
 * ...) and hands them to the one reload path; the server never knows which source a zone came
 * from.
 */
export interface ZoneSink {
  /**
   * Parses, compiles and swaps in one zone file. Returns false when the file was rejected: the
   * error is logged and any earlier version of the zone keeps being served.
   */
  upsert(origin: string, fileName: string, text: string): boolean;
  /** Stops serving the zone that came from this file. */
  remove(origin: string, fileName: string): void;
}

export interface ZoneSource {
  /** For logs: "folder zones", "s3://bucket/prefix/". */
  readonly description: string;
  /** Loads every zone once (resolves when that first full load is done), then keeps them in sync. */
  start(sink: ZoneSink): Promise<void>;
  stop(): Promise<void>;
  /** Sync health for /metrics, from sources that sync from a remote store (S3); kept up to date live. */
  readonly stats?: SourceStats;
}

/** Read by /metrics on every scrape (eclipso_source_* metrics). */
export interface SourceStats {
  /** Unix seconds of the last sync that read the whole store without an error; 0 before the first. */
  lastSuccessUnixSeconds: number;
  /** Failed requests to the store (S3 API errors, timeouts), since start. */
  errors: number;
}
