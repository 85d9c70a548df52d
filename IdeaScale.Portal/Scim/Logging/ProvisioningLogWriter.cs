using System.Threading.Channels;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Logging;

/// <summary>
/// Writes provisioning-log rows off the request path: requests enqueue into a bounded channel (they wait
/// rather than drop when it is full), and one background loop saves them in batches of up to
/// <see cref="ProvisioningLogOptions.BatchSize"/> with a single SaveChanges each. <see cref="FlushAsync"/>
/// returns once everything enqueued before it is in the database; shutdown drains the queue.
/// </summary>
public sealed partial class ProvisioningLogWriter : BackgroundService
{
    private readonly Channel<Item> channel;
    private readonly IDbContextFactory<PortalDbContext> dbFactory;
    private readonly int batchSize;
    private readonly ILogger<ProvisioningLogWriter> logger;

    public ProvisioningLogWriter(IDbContextFactory<PortalDbContext> dbFactory, IOptions<ScimAccessOptions> options, ILogger<ProvisioningLogWriter> logger)
    {
        this.dbFactory = dbFactory;
        this.logger = logger;
        var o = options.Value.ProvisioningLog;
        batchSize = Math.Max(1, o.BatchSize);
        channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(Math.Max(1, o.QueueCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    private abstract record Item;
    private sealed record EventItem(ProvisioningEvent Event) : Item;
    private sealed record FlushItem(TaskCompletionSource Done) : Item;

    /// <summary>Queues a row; completes at once unless the queue is full.</summary>
    public async ValueTask EnqueueAsync(ProvisioningEvent row, CancellationToken ct = default)
    {
        try
        {
            if (!channel.Writer.TryWrite(new EventItem(row)))
            {
                await channel.Writer.WriteAsync(new EventItem(row), ct);
            }
        }
        catch (ChannelClosedException)
        {
            LogDroppedAfterShutdown(logger);
        }
    }

    /// <summary>Waits until every row queued before this call has been saved.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await channel.Writer.WriteAsync(new FlushItem(done), ct);
        await done.Task.WaitAsync(ct);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        channel.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<ProvisioningEvent>(batchSize);
        var flushes = new List<TaskCompletionSource>();

        // Runs until the channel is completed and drained (StopAsync), so queued rows survive a graceful shutdown.
        while (await channel.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < batchSize && channel.Reader.TryRead(out var item))
            {
                switch (item)
                {
                    case EventItem e:
                        batch.Add(e.Event);
                        break;
                    case FlushItem f:
                        flushes.Add(f.Done);
                        break;
                }
            }

            await SaveAsync(batch);
            batch.Clear();
            foreach (var done in flushes)
            {
                done.TrySetResult();
            }

            flushes.Clear();
        }
    }

    private async Task SaveAsync(List<ProvisioningEvent> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            db.ProvisioningEvents.AddRange(batch);
            await db.SaveChangesAsync();
        }
#pragma warning disable CA1031 // A failed batch is reported and dropped; the writer must keep serving later requests.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogBatchFailed(logger, ex, batch.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write {Count} provisioning-log rows")]
    private static partial void LogBatchFailed(ILogger logger, Exception ex, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A provisioning-log row arrived after shutdown and was not written")]
    private static partial void LogDroppedAfterShutdown(ILogger logger);
}
