using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Claims;

using IdeaScale.Portal.Scim;
using IdeaScale.Portal.Scim.Logging;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Workspaces;

/// <summary>
/// A provisioning-log query. <paramref name="From"/> is inclusive, <paramref name="To"/> exclusive (UTC);
/// empty <paramref name="Operations"/> means all; <paramref name="Text"/> matches path, resource id, summary or actor
/// (case-insensitive substring); <paramref name="ResourceId"/> selects one member's or group's own rows.
/// </summary>
public sealed record ProvisioningLogQuery(
    string Slug,
    DateTime? From = null,
    DateTime? To = null,
    IReadOnlyCollection<ProvisioningOperation>? Operations = null,
    EventOutcome? Outcome = null,
    string? Text = null,
    int Skip = 0,
    int Take = 50,
    string? ResourceId = null);

/// <summary>One provisioning-log row as the portal shows it.</summary>
public sealed record ProvisioningLogEntry(
    long Id,
    DateTime OccurredAt,
    ActorKind ActorKind,
    string Actor,
    ProvisioningOperation Operation,
    EventOutcome Outcome,
    string? Method,
    string? Path,
    string? ResourceType,
    string? ResourceId,
    int? StatusCode,
    int? DurationMs,
    string? ClientIp,
    string? Summary,
    string? Subject = null,
    ProvisioningDetails? Details = null,
    FailureExplanation? Explanation = null,
    Guid? ConflictingId = null)
{
    /// <summary>The id of the member or group the row is about, when it names one (not a list or a discovery request).</summary>
    public Guid? ResourceGuid => Guid.TryParse(ResourceId, out var id) ? id : null;

    /// <summary>The stored JSON of <see cref="Details"/>, as read; parsed for a page by the log.</summary>
    internal string? RawDetails { get; init; }
}

/// <summary>A page of entries, newest first, and how many match in total.</summary>
public sealed record ProvisioningLogPage(IReadOnlyList<ProvisioningLogEntry> Items, int TotalCount);

/// <summary>
/// Reads a workspace's provisioning log for the portal: admins of the workspace, and read-only its assigned Customer
/// Success Manager or a Customer Success lead (any other CSM is refused). Filtering, counting, ordering and paging all
/// run in the database. Each failure on a page gets its plain-language explanation (<see cref="FailureExplanations"/>)
/// from facts read once per page.
/// </summary>
public sealed class ProvisioningLog(IDbContextFactory<PortalDbContext> dbFactory, IOptions<ScimAccessOptions> options)
{
    public const int MaxPageSize = 500;
    internal const string LikeEscape = "\\";

    public async Task<ProvisioningLogPage> QueryAsync(ClaimsPrincipal user, ProvisioningLogQuery query, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workspaceId = await AuthorizeAsync(db, user, query.Slug, ct);
        var rows = Filter(db, workspaceId, query);
        var total = await rows.CountAsync(ct);
        var items = await Project(rows.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id)
                .Skip(Math.Max(0, query.Skip)).Take(Math.Clamp(query.Take, 1, MaxPageSize)))
            .ToListAsync(ct);
        return new ProvisioningLogPage(await ExplainAsync(db, workspaceId, items, ct), total);
    }

    /// <summary>
    /// The rows' parsed details, and for the failures among them their explanations: the facts (regenerations, SCIM
    /// disables, SSO deactivations) in one query, the existing holders of colliding values in one query per kind.
    /// </summary>
    private async Task<List<ProvisioningLogEntry>> ExplainAsync(PortalDbContext db, Guid workspaceId, List<ProvisioningLogEntry> items, CancellationToken ct)
    {
        var parsed = items.ConvertAll(e => e with { Details = ProvisioningDetails.Parse(e.RawDetails) });
        var failures = parsed.Where(e => e.Outcome == EventOutcome.Failure && e.ActorKind == ActorKind.IdentityProvider).ToList();
        if (failures.Count == 0)
        {
            return parsed;
        }

        var newest = failures.Max(e => e.OccurredAt);
        ProvisioningOperation[] kinds = [ProvisioningOperation.TokenRegenerated, ProvisioningOperation.ScimDisabled, ProvisioningOperation.SsoDeactivated];
        var audits = await db.ProvisioningEvents.AsNoTracking()
            .Where(e => e.WorkspaceId == workspaceId && kinds.Contains(e.Operation) && e.Outcome == EventOutcome.Success && e.OccurredAt <= newest)
            .OrderByDescending(e => e.OccurredAt).Take(200)
            .Select(e => new { e.Operation, e.OccurredAt, e.Actor, e.Details })
            .ToListAsync(ct);
        List<AuditFact> Facts(ProvisioningOperation op) =>
            audits.Where(a => a.Operation == op).Select(a => new AuditFact(a.OccurredAt, a.Actor, ProvisioningDetails.Parse(a.Details)?.Reason)).ToList();
        var limits = options.Value.RateLimit;
        var facts = new FailureFacts(Facts(ProvisioningOperation.TokenRegenerated), Facts(ProvisioningOperation.ScimDisabled),
            Facts(ProvisioningOperation.SsoDeactivated), limits.RequestsPerSecond, limits.Burst);

        var conflicts = failures.Where(e => e.StatusCode == 409 && e.Details?.ConflictValue is not null).ToList();
        var userNames = conflicts.Where(e => e.Details!.ConflictAttribute == "userName").Select(e => Data.Interceptors.AuditStampInterceptor.Normalize(e.Details!.ConflictValue!)).Distinct().ToList();
        var groupNames = conflicts.Where(e => e.Details!.ConflictAttribute == "displayName").Select(e => Data.Interceptors.AuditStampInterceptor.Normalize(e.Details!.ConflictValue!)).Distinct().ToList();
        var holders = new Dictionary<string, (Guid Id, string Name)>(StringComparer.Ordinal);
        if (userNames.Count > 0)
        {
            foreach (var m in await db.Members.AsNoTracking().Where(m => m.WorkspaceId == workspaceId && userNames.Contains(m.NormalizedUserName))
                .Select(m => new { m.Id, m.NormalizedUserName, m.UserName, m.DisplayName }).ToListAsync(ct))
            {
                holders["userName:" + m.NormalizedUserName] = (m.Id, m.DisplayName is { Length: > 0 } d ? $"{d} ({m.UserName})" : m.UserName);
            }
        }

        if (groupNames.Count > 0)
        {
            foreach (var g in await db.Groups.AsNoTracking().Where(g => g.WorkspaceId == workspaceId && groupNames.Contains(g.NormalizedDisplayName))
                .Select(g => new { g.Id, g.NormalizedDisplayName, g.DisplayName }).ToListAsync(ct))
            {
                holders["displayName:" + g.NormalizedDisplayName] = (g.Id, g.DisplayName);
            }
        }

        return parsed.ConvertAll(e =>
        {
            if (e.Outcome != EventOutcome.Failure || e.ActorKind != ActorKind.IdentityProvider)
            {
                return e;
            }

            (Guid Id, string Name)? holder = e.Details is { ConflictAttribute: { } a, ConflictValue: { } v }
                && holders.TryGetValue(a + ":" + Data.Interceptors.AuditStampInterceptor.Normalize(v), out var h) ? h : null;
            return e with
            {
                Explanation = FailureExplanations.For(e.StatusCode, e.Summary, e.Details, e.OccurredAt, facts, holder?.Name),
                ConflictingId = holder?.Id,
            };
        });
    }

    /// <summary>One entry for the detail view, or null when it is not in this workspace's log.</summary>
    public async Task<ProvisioningLogEntry?> GetAsync(ClaimsPrincipal user, string slug, long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workspaceId = await AuthorizeAsync(db, user, slug, ct);
        return await Project(db.ProvisioningEvents.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Id == id)).FirstOrDefaultAsync(ct);
    }

    /// <summary>Every matching entry, newest first, streamed from the database (Skip/Take are ignored), for the CSV export.</summary>
    public async IAsyncEnumerable<ProvisioningLogEntry> ExportAsync(
        ClaimsPrincipal user, ProvisioningLogQuery query, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workspaceId = await AuthorizeAsync(db, user, query.Slug, ct);
        var rows = Project(Filter(db, workspaceId, query).OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id));
        await foreach (var entry in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return entry;
        }
    }

    /// <summary>Writes the export as CSV (RFC 4180: header row, CRLF, quoted fields) to <paramref name="writer"/>.</summary>
    public async Task WriteCsvAsync(ClaimsPrincipal user, ProvisioningLogQuery query, TextWriter writer, CancellationToken ct = default)
    {
        await writer.WriteAsync("OccurredAtUtc,ActorKind,Actor,Operation,Outcome,Method,Path,ResourceType,ResourceId,StatusCode,DurationMs,ClientIp,Summary,Subject\r\n");
        await foreach (var e in ExportAsync(user, query, ct))
        {
            string?[] fields =
            [
                e.OccurredAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), e.ActorKind.ToString(), e.Actor,
                e.Operation.ToString(), e.Outcome.ToString(), e.Method, e.Path, e.ResourceType, e.ResourceId,
                e.StatusCode?.ToString(CultureInfo.InvariantCulture), e.DurationMs?.ToString(CultureInfo.InvariantCulture), e.ClientIp, e.Summary, e.Subject,
            ];
            await writer.WriteAsync(string.Join(',', fields.Select(Csv)) + "\r\n");
        }
    }

    internal static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static IQueryable<ProvisioningEvent> Filter(PortalDbContext db, Guid workspaceId, ProvisioningLogQuery q)
    {
        var rows = db.ProvisioningEvents.AsNoTracking().Where(e => e.WorkspaceId == workspaceId);
        if (q.From is { } from)
        {
            rows = rows.Where(e => e.OccurredAt >= from);
        }

        if (q.To is { } to)
        {
            rows = rows.Where(e => e.OccurredAt < to);
        }

        if (q.Operations is { Count: > 0 } ops)
        {
            var list = ops.Distinct().ToList();
            rows = rows.Where(e => list.Contains(e.Operation));
        }

        if (q.ResourceId is { Length: > 0 } resourceId)
        {
            rows = rows.Where(e => e.ResourceId == resourceId);
        }

        if (q.Outcome is { } outcome)
        {
            rows = rows.Where(e => e.Outcome == outcome);
        }

        if (!string.IsNullOrWhiteSpace(q.Text))
        {
            // Case-insensitive on both providers: upper() of the column, the pattern folded alike (CaseFolding).
            var p = CaseFolding.AsciiUpper("%" + EscapeLike(q.Text.Trim()) + "%");
#pragma warning disable CA1304, CA1311 // string.ToUpper() here is translated to SQL upper() (CaseFolding), never run in .NET
            rows = rows.Where(e => EF.Functions.Like(e.Path!.ToUpper(), p, LikeEscape) || EF.Functions.Like(e.ResourceId!.ToUpper(), p, LikeEscape)
                || EF.Functions.Like(e.Summary!.ToUpper(), p, LikeEscape) || EF.Functions.Like(e.Actor!.ToUpper(), p, LikeEscape)
                || EF.Functions.Like(e.Subject!.ToUpper(), p, LikeEscape));
#pragma warning restore CA1304, CA1311
        }

        return rows;
    }

    private static IQueryable<ProvisioningLogEntry> Project(IQueryable<ProvisioningEvent> rows) => rows.Select(e => new ProvisioningLogEntry(
        e.Id, e.OccurredAt, e.ActorKind, e.Actor, e.Operation, e.Outcome, e.Method, e.Path, e.ResourceType, e.ResourceId,
        e.StatusCode, e.DurationMs, e.ClientIp, e.Summary, e.Subject, null, null, null)
    { RawDetails = e.Details });

    private static async Task<Guid> AuthorizeAsync(PortalDbContext db, ClaimsPrincipal user, string slug, CancellationToken ct)
    {
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var ws = await db.Workspaces.Where(w => w.Slug == slug).Select(w => new { w.Id, w.CustomerSuccessManagerId }).FirstOrDefaultAsync(ct);
        if (ws is not null && (actor.MayOversee(ws.CustomerSuccessManagerId) || await actor.IsAdminOfAsync(db, ws.Id, ct)))
        {
            return ws.Id;
        }

        throw new UnauthorizedAccessException("You are not allowed to read this workspace's provisioning log.");
    }

    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        value = NeutraliseFormula(value);
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>
    /// CSV injection (OWASP "CSV Injection"): a spreadsheet runs a cell as a formula when it starts with =, +, - or @,
    /// and also when such a character follows leading whitespace, or when the cell starts with TAB, CR or LF. The
    /// fullwidth (＝ ＋ － ＠) and small (﹦ ﹢ ﹣ ﹫) forms fold to the same characters (NFKC) and are treated alike, as is
    /// the minus sign U+2212. Such a cell is prefixed with a single quote, which spreadsheets show as text.
    /// </summary>
    internal static string NeutraliseFormula(string value)
    {
        foreach (var c in value)
        {
            if (c is '\t' or '\r' or '\n')
            {
                return "'" + value;
            }

            if (char.IsWhiteSpace(c))
            {
                continue;
            }

            return IsFormulaLead(c) ? "'" + value : value;
        }

        return value;
    }

    private static bool IsFormulaLead(char c) =>
        c is '=' or '+' or '-' or '@' or '\u2212'
        || (c > '\u007f' && c.ToString().Normalize(System.Text.NormalizationForm.FormKC) is "=" or "+" or "-" or "@");
}
