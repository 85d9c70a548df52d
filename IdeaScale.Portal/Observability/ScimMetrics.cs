using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace IdeaScale.Portal.Observability;

/// <summary>
/// The SCIM service's own instruments, on the meter <see cref="MeterName"/> (created through
/// <see cref="IMeterFactory"/>, so each app instance, and each test host, has its own):
/// <list type="bullet">
/// <item><c>scim.requests</c> and <c>scim.request.duration</c>: every answered SCIM request, tagged with the
/// workspace slug, the provisioning-log operation, the HTTP status and the SCIM <c>scimType</c> of an error body
/// (recorded by <see cref="Scim.Logging.ScimRequestRecorder"/>, from what it computes for the provisioning log).</item>
/// <item><c>scim.provisioning_log.queue.depth</c> and <c>scim.provisioning_log.dropped</c>: rows waiting for
/// <see cref="Scim.Logging.ProvisioningLogWriter"/>, and rows it could not write.</item>
/// <item><c>scim.access_cache.lookups</c> and <c>scim.access_cache.invalidations</c>: hits and misses of
/// <see cref="Scim.Credentials.ScimAccessCache"/>, and how often it was cleared.</item>
/// </list>
/// Recording is skipped unless something listens (an OpenTelemetry exporter, <c>dotnet-counters</c>, a test's
/// collector): callers check <see cref="RequestsObserved"/>, and an instrument without a listener returns at once.
/// Tags go in a stack-allocated <see cref="TagList"/>; status codes are boxed once, not per request.
/// </summary>
public sealed class ScimMetrics
{
    public const string MeterName = "IdeaScale.Portal.Scim";

    public const string WorkspaceTag = "scim.workspace";
    public const string OperationTag = "scim.operation";
    public const string StatusCodeTag = "http.response.status_code";
    public const string ScimTypeTag = "scim.scim_type";
    public const string CacheEntryTag = "scim.access_cache.entry";
    public const string CacheResultTag = "scim.access_cache.result";
    public const string DropReasonTag = "scim.provisioning_log.reason";

    /// <summary>Seconds; SCIM requests take from a tenth of a millisecond to a few, so the low end is finer than HTTP's defaults.</summary>
    private static readonly double[] DurationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly object[] StatusCodes = Enumerable.Range(0, 600).Select(code => (object)code).ToArray();

    private static readonly Dictionary<ProvisioningOperation, string> OperationNames =
        Enum.GetValues<ProvisioningOperation>().ToDictionary(o => o, o => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(o.ToString()));

    private readonly Meter meter;
    private readonly Counter<long> requests;
    private readonly Histogram<double> duration;
    private readonly Counter<long> cacheLookups;
    private readonly Counter<long> cacheInvalidations;
    private readonly Counter<long> logDropped;

    public ScimMetrics(IMeterFactory meterFactory)
    {
        meter = meterFactory.Create(MeterName);
        requests = meter.CreateCounter<long>("scim.requests", "{request}",
            "SCIM requests answered, by workspace, operation, HTTP status and scimType.");
        duration = meter.CreateHistogram("scim.request.duration", "s",
            "Time from the SCIM request's arrival to its answer, including authentication and error mapping.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        cacheLookups = meter.CreateCounter<long>("scim.access_cache.lookups", "{lookup}",
            "Credential and workspace lookups of SCIM authentication, by entry kind and result (hit or miss).");
        cacheInvalidations = meter.CreateCounter<long>("scim.access_cache.invalidations", "{invalidation}",
            "Times the SCIM access cache was cleared because a credential, SCIM or SSO setting or workspace changed.");
        logDropped = meter.CreateCounter<long>("scim.provisioning_log.dropped", "{row}",
            "Provisioning-log rows not written: the batch failed, or the row arrived after shutdown.");
    }

    /// <summary>True when <see cref="RecordRequest"/> would record anything.</summary>
    public bool RequestsObserved => requests.Enabled || duration.Enabled;

    /// <summary>One answered SCIM request; <paramref name="workspace"/> is null when no workspace was authenticated.</summary>
    public void RecordRequest(string? workspace, ProvisioningOperation operation, int status, string? scimType, TimeSpan elapsed)
    {
        var tags = new TagList
        {
            { OperationTag, OperationNames.GetValueOrDefault(operation, "unknown") },
            { StatusCodeTag, status is >= 0 and < 600 ? StatusCodes[status] : status },
        };
        if (workspace is not null)
        {
            tags.Add(WorkspaceTag, workspace);
        }

        if (scimType is not null)
        {
            tags.Add(ScimTypeTag, scimType);
        }

        requests.Add(1, in tags);
        duration.Record(elapsed.TotalSeconds, in tags);
    }

    /// <summary>A lookup of the access cache; <paramref name="entry"/> is "credential" or "workspace".</summary>
    public void RecordCacheLookup(string entry, bool hit)
    {
        if (cacheLookups.Enabled)
        {
            cacheLookups.Add(1, new KeyValuePair<string, object?>(CacheEntryTag, entry), new KeyValuePair<string, object?>(CacheResultTag, hit ? "hit" : "miss"));
        }
    }

    public void RecordCacheInvalidation() => cacheInvalidations.Add(1);

    /// <summary>Rows the provisioning-log writer gave up on; <paramref name="reason"/> is "write_failed" or "after_shutdown".</summary>
    public void RecordLogDropped(int rows, string reason) =>
        logDropped.Add(rows, new KeyValuePair<string, object?>(DropReasonTag, reason));

    /// <summary>Publishes the writer's queue length, read when a listener collects.</summary>
    public void ObserveProvisioningLogQueue(Func<int> depth) =>
        meter.CreateObservableUpDownCounter("scim.provisioning_log.queue.depth", depth, "{row}",
            "Provisioning-log rows queued and not yet taken by the writer.");
}
