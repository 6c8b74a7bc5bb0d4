"""Publishing: the gate, the pipeline into the catalog, the publish log's
history and rollback, freshness and the quality score."""
