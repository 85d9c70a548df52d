namespace IdeaScale.Portal.Scim;

/// <summary>
/// Access-control and operational limits of /scim/v2, bound from the "Scim" configuration section.
/// Every key is documented in appsettings.Example.json.
/// </summary>
public sealed class ScimAccessOptions
{
    public const string Section = "Scim";

    /// <summary>Largest accepted request body; a larger one is answered 413 with a SCIM error.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long a token's credential and its workspace's SSO/SCIM state are kept in memory (0 = read the database
    /// on every request). Changes made by this process take effect at once whatever the value; it bounds how long
    /// another node sharing the database may keep accepting a token that was revoked there.
    /// </summary>
    public int AccessCacheSeconds { get; set; } = 10;

    public ScimRateLimitOptions RateLimit { get; set; } = new();
    public ProvisioningLogOptions ProvisioningLog { get; set; } = new();
    public LastUseOptions LastUse { get; set; } = new();
}

/// <summary>Token bucket per workspace.</summary>
public sealed class ScimRateLimitOptions
{
    /// <summary>Sustained requests per second per workspace; 0 turns rate limiting off. Fractions are allowed (0.5 = one every 2 s).</summary>
    public double RequestsPerSecond { get; set; } = 50;

    /// <summary>Bucket size: how many requests a workspace may send at once after being idle.</summary>
    public int Burst { get; set; } = 100;

    /// <summary>
    /// How many app instances serve SCIM behind the load balancer. Each instance enforces its share (rate and burst
    /// divided by this), so together they never admit more than the limit; traffic that is not spread evenly is limited
    /// earlier, by at most (Instances - 1) / Instances of the limit.
    /// </summary>
    public int Instances { get; set; } = 1;

    /// <summary>
    /// Requests per minute one client IP may send that fail authentication (a token bucket of this size per IP,
    /// refilled at this rate). Beyond it they are answered 429 with Retry-After and not recorded one by one.
    /// 0 turns the per-IP limit off.
    /// </summary>
    public int UnauthenticatedPerIpPerMinute { get; set; } = 30;
}

public sealed class ProvisioningLogOptions
{
    /// <summary>Record every SCIM request in the provisioning log. On in production; off only to measure its cost (benchmark).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The IdP's request rows (ActorKind IdentityProvider) older than this many days are pruned; 0 keeps them forever.
    /// Audit rows of admin and customer-success actions are not: see <see cref="AuditRetentionDays"/>.
    /// </summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>
    /// Audit rows of admin, customer-success and system actions (token regenerated/revealed, SCIM enabled/disabled,
    /// SSO changes, refused attempts) older than this many days are pruned; 0 (the default) keeps them forever.
    /// </summary>
    public int AuditRetentionDays { get; set; }

    /// <summary>
    /// Most rows of unauthenticated requests (failed authentication: no, wrong or expired credentials) recorded per
    /// workspace (and once more for requests naming no workspace's host) per <see cref="UnauthenticatedWindow"/>.
    /// Further ones, and those refused by the per-IP limit, are only counted, and one summary row per workspace and
    /// window reports how many, so a flood of unauthenticated requests cannot grow the database without bound.
    /// </summary>
    public int UnauthenticatedRowsPerWindow { get; set; } = 20;

    /// <summary>The window of <see cref="UnauthenticatedRowsPerWindow"/>.</summary>
    public TimeSpan UnauthenticatedWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the pruning runs.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Capacity of the in-memory queue between requests and the batch writer (requests wait when it is full).</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Most rows written by one batch (one transaction).</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// How long the writer waits after the first row of a batch for more rows before it writes (unless the batch is
    /// full first), so a burst of requests costs one write. Rows reach the database at most this much later; 0 writes
    /// whatever is queued at once.
    /// </summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMilliseconds(100);
}

public sealed class LastUseOptions
{
    /// <summary>Track each token's last use. On in production; off only to measure its cost (benchmark).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often coalesced per-token last-use facts are written to the database.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(15);
}
