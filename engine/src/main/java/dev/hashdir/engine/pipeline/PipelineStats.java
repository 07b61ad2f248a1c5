package dev.hashdir.engine.pipeline;

import dev.hashdir.engine.wal.Durability;

/**
 * The pipeline's counters at one moment (each read on its own, so neighbouring values may be a
 * moment apart).
 *
 * @param durability     when mutations are acknowledged
 * @param published      requests that entered the ring (ticks included)
 * @param busy           requests refused because the ring was full
 * @param applied        requests the engine applied successfully
 * @param commits        group commits
 * @param inlineCommits  of those, commits the engine thread made itself while the journal was idle
 *                       ({@link PipelineConfig#inlineCommitEvents()})
 * @param meanBatch      events per commit, over all commits
 * @param lastBatch      events in the last commit
 * @param failedCommits  commits that failed (e.g. disk full)
 * @param lastAppliedLsn newest LSN applied in memory (as of the engine's last batch end)
 * @param ackedLsn       newest LSN acknowledged (durable in SYNC)
 * @param replies        answers handed to sinks (early replies included)
 * @param earlyReplies   answers handed to sinks by the engine thread at once (reads that saw nothing
 *                       unacknowledged; {@link PipelineConfig#earlyReads()})
 * @param sinkErrors     sinks that threw
 * @param ringFree       free ring slots
 * @param readOnlyReason why mutations are refused, null while writable
 * @param controller     the batch controller's state
 */
public record PipelineStats(Durability durability, long published, long busy, long applied, long commits,
                            long inlineCommits,
                            double meanBatch, int lastBatch, long failedCommits, long lastAppliedLsn, long ackedLsn,
                            long replies, long earlyReplies, long sinkErrors, long ringFree, String readOnlyReason,
                            BatchController.Snapshot controller) {
}
