using System.Threading.Channels;

using IdeaScale.Portal.Observability;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Logging;

/// <summary>
/// Writes provisioning-log rows off the request path: requests enqueue into a bounded channel (they wait
/// rather than drop when it is full), and one loop, on a thread of its own, writes them in batches. After the first row of a
/// batch it waits up to <see cref="ProvisioningLogOptions.BatchWindow"/> for more (or until
/// <see cref="ProvisioningLogOptions.BatchSize"/> rows are queued), so a burst of requests costs one write, not one
/// per request. A batch is one transaction of one prepared INSERT rebound per row (<see cref="InsertStatement"/>), after
/// its turn at the in-process write gate (<see cref="ReadSessions.EnterWriteAsync"/>).
/// <see cref="FlushAsync"/> returns once everything enqueued before it is in the database, without waiting for the
/// window; shutdown drains the queue. The queue length and the rows given up on are published in
/// <see cref="ScimMetrics"/>.
/// </summary>
public sealed partial class ProvisioningLogWriter : BackgroundService
{
    private readonly Channel<Item> channel;
    private readonly IDbContextFactory<PortalDbContext> dbFactory;
    private readonly ReadSessions sessions;
    private readonly TimeProvider time;
    private readonly int batchSize;
    private readonly TimeSpan window;
    private readonly ILogger<ProvisioningLogWriter> logger;
    private readonly ScimMetrics metrics;
    private InsertStatement? insert;

    public ProvisioningLogWriter(
        IDbContextFactory<PortalDbContext> dbFactory, ReadSessions sessions, TimeProvider time, IOptions<ScimAccessOptions> options,
        ScimMetrics metrics, ILogger<ProvisioningLogWriter> logger)
    {
        this.dbFactory = dbFactory;
        this.sessions = sessions;
        this.time = time;
        this.logger = logger;
        this.metrics = metrics;
        var o = options.Value.ProvisioningLog;
        batchSize = Math.Max(1, o.BatchSize);
        window = o.BatchWindow > TimeSpan.Zero ? o.BatchWindow : TimeSpan.Zero;
        channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(Math.Max(1, o.QueueCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        metrics.ObserveProvisioningLogQueue(() => channel.Reader.Count);
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
            metrics.RecordLogDropped(1, "after_shutdown");
        }
    }

    /// <summary>Queues a row if the queue has room (never waits); false when it is full or closed.</summary>
    public bool TryEnqueue(ProvisioningEvent row) => channel.Writer.TryWrite(new EventItem(row));

    /// <summary>Waits until every row queued before this call has been saved (at once, not after the batch window).</summary>
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

    /// <summary>
    /// The loop runs on a thread of its own, not on the thread pool: writing a batch to SQLite is synchronous work
    /// (Microsoft.Data.Sqlite has no asynchronous I/O) of some milliseconds, and a server pinned to one core starts
    /// with a one-thread pool, so a batch written on a pool thread held up the requests queued behind it until the
    /// pool grew. On its own thread the batch is time-sliced with the requests by the operating system instead.
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(Loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Loop()
    {
        LogLoopStarted(logger);
        var batch = new List<ProvisioningEvent>(batchSize);
        var flushes = new List<TaskCompletionSource>();

        // Runs until the channel is completed and drained (StopAsync), so queued rows survive a graceful shutdown.
        while (Wait(channel.Reader.WaitToReadAsync(CancellationToken.None)))
        {
            Drain(batch, flushes);
            if (batch.Count > 0 && batch.Count < batchSize && flushes.Count == 0 && window > TimeSpan.Zero)
            {
                Coalesce(batch, flushes);
            }

            Wait(SaveAsync(batch));
            batch.Clear();
            foreach (var done in flushes)
            {
                done.TrySetResult();
            }

            flushes.Clear();
        }
    }

    /// <summary>Blocks the writer's own thread until <paramref name="pending"/> completes (on SQLite it has already).</summary>
    private static T Wait<T>(ValueTask<T> pending) => pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    private static void Wait(Task pending) => pending.GetAwaiter().GetResult();

    /// <summary>Takes what is queued, up to a full batch; stops at a flush request (it is answered after the write).</summary>
    private void Drain(List<ProvisioningEvent> batch, List<TaskCompletionSource> flushes)
    {
        while (batch.Count < batchSize && flushes.Count == 0 && channel.Reader.TryRead(out var item))
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
    }

    /// <summary>Waits for more rows until the window has passed, the batch is full, a flush is asked for or the queue is closed.</summary>
    private void Coalesce(List<ProvisioningEvent> batch, List<TaskCompletionSource> flushes)
    {
        using var timeout = new CancellationTokenSource(window, time);
        try
        {
            while (batch.Count < batchSize && flushes.Count == 0 && Wait(channel.Reader.WaitToReadAsync(timeout.Token)))
            {
                Drain(batch, flushes);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // The window has passed: write what has arrived.
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
            insert ??= InsertStatement.For(db);
            // SQLite: after this process's other prepared writers (a batch of new users), not in the busy handler.
            using (await sessions.EnterWriteAsync(CancellationToken.None))
            {
                await insert.ExecuteAsync(db, batch);
            }

            LogBatchWritten(logger, batch.Count);
        }
#pragma warning disable CA1031 // A failed batch is reported and dropped; the writer must keep serving later requests.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogBatchFailed(logger, ex, batch.Count);
            metrics.RecordLogDropped(batch.Count, "write_failed");
        }
    }

    /// <summary>
    /// The INSERT of one provisioning-log row, built from the EF model (table, columns, identifier quoting and
    /// parameter syntax of the provider), with values bound through each property's own type mapping, so enums,
    /// Guids and DateTimes are stored exactly as SaveChanges would store them. A batch runs it once per row on one
    /// command in one transaction: the provider prepares the statement once and only rebinds the parameters, which
    /// is the cheapest way to insert many rows into SQLite. (A multi-row VALUES list costs more: Microsoft.Data.Sqlite
    /// binds parameters by name, quadratic in their number, and the long statement is parsed on every batch.) It
    /// skips what SaveChanges costs per row (change tracking, a generated id read back per row): the writer never
    /// needs the ids.
    /// </summary>
    internal sealed class InsertStatement
    {
        private readonly Column[] columns;
        private readonly string text;

        private readonly record struct Column(IProperty Property, IClrPropertyGetter Getter, RelationalTypeMapping Mapping, string Parameter);

        private InsertStatement(Column[] columns, string text)
        {
            this.columns = columns;
            this.text = text;
        }

        public static InsertStatement For(PortalDbContext db)
        {
            var entity = db.Model.FindEntityType(typeof(ProvisioningEvent))!;
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var sql = db.GetService<ISqlGenerationHelper>();
            var columns = entity.GetProperties().Where(p => p.ValueGenerated == ValueGenerated.Never)
                .Select((p, i) => new Column(p, p.GetGetter(), p.GetRelationalTypeMapping(), sql.GenerateParameterName("p" + i)))
                .ToArray();
            var text = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ("
                + string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.Property.GetColumnName(table)!)))
                + ") VALUES ("
                + string.Join(", ", columns.Select((_, i) => sql.GenerateParameterNamePlaceholder("p" + i)))
                + ")";
            return new InsertStatement(columns, text);
        }

        /// <summary>
        /// Writes the rows in one transaction, one prepared statement rebound per row: the parameters are created once
        /// and only their values change (Npgsql prepares a statement it has run a few times and then keeps the bound
        /// parameter objects, so replacing them would repeat a stale row).
        /// </summary>
        public async Task ExecuteAsync(PortalDbContext db, IReadOnlyList<ProvisioningEvent> rows)
        {
            await db.Database.OpenConnectionAsync();
            try
            {
                await using var transaction = await db.Database.BeginTransactionAsync();
                await using var command = db.Database.GetDbConnection().CreateCommand();
                command.Transaction = transaction.GetDbTransaction();
                command.CommandText = text;
                var parameters = new System.Data.Common.DbParameter[columns.Length];
                foreach (var row in rows)
                {
                    for (var i = 0; i < columns.Length; i++)
                    {
                        var column = columns[i];
                        var bound = column.Mapping.CreateParameter(command, column.Parameter, column.Getter.GetClrValue(row), column.Property.IsNullable);
                        if (parameters[i] is null)
                        {
                            parameters[i] = bound;
                            command.Parameters.Add(bound);
                        }
                        else
                        {
                            parameters[i].Value = bound.Value;
                        }
                    }

                    await command.ExecuteNonQueryAsync();
                }

                await transaction.CommitAsync();
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write {Count} provisioning-log rows")]
    private static partial void LogBatchFailed(ILogger logger, Exception ex, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Provisioning-log writer started on a thread of its own")]
    private static partial void LogLoopStarted(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Wrote {Count} provisioning-log rows in one transaction")]
    private static partial void LogBatchWritten(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A provisioning-log row arrived after shutdown and was not written")]
    private static partial void LogDroppedAfterShutdown(ILogger logger);
}
