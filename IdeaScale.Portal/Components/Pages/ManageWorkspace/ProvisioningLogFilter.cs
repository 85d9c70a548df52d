using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using IdeaScale.Portal.Workspaces;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Components.Pages.ManageWorkspace;

/// <summary>
/// The provisioning-log page's filters (time range, operation, outcome, free text), shared by the page and the CSV
/// export link so both select the same rows. Interim: the queries below run against <see cref="ProvisioningEvent"/>
/// until the access engineer's Workspaces/ProvisioningLog lands on main; then <see cref="Apply"/> is replaced by it.
/// </summary>
public sealed record ProvisioningLogFilter(DateTime? From, DateTime? To, ProvisioningOperation? Operation, EventOutcome? Outcome, string? Text)
{
    public static ProvisioningLogFilter None { get; } = new(null, null, null, null, null);

    /// <summary>Query-string form (for the export link): only the set filters, invariant formats.</summary>
    public string ToQueryString()
    {
        var q = new Dictionary<string, string?>();
        if (From is { } from)
        {
            q["from"] = from.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        if (To is { } to)
        {
            q["to"] = to.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        if (Operation is { } op)
        {
            q["operation"] = op.ToString();
        }

        if (Outcome is { } outcome)
        {
            q["outcome"] = outcome.ToString();
        }

        if (!string.IsNullOrWhiteSpace(Text))
        {
            q["text"] = Text.Trim();
        }

        return QueryHelpers.AddQueryString("", q);
    }

    /// <summary>Parses the export endpoint's query string; unknown or malformed values are ignored (no filter).</summary>
    public static ProvisioningLogFilter FromQuery(IQueryCollection query) => new(
        ParseTime(query["from"]),
        ParseTime(query["to"]),
        Enum.TryParse<ProvisioningOperation>(query["operation"], ignoreCase: true, out var op) && Enum.IsDefined(op) ? op : null,
        Enum.TryParse<EventOutcome>(query["outcome"], ignoreCase: true, out var outcome) && Enum.IsDefined(outcome) ? outcome : null,
        string.IsNullOrWhiteSpace(query["text"]) ? null : query["text"].ToString());

    /// <summary>This workspace's events matching the filter (From inclusive, To exclusive, UTC), newest first.</summary>
    public IQueryable<ProvisioningEvent> Apply(PortalDbContext db, Guid workspaceId)
    {
        var rows = db.ProvisioningEvents.AsNoTracking().Where(e => e.WorkspaceId == workspaceId);
        if (From is { } from)
        {
            rows = rows.Where(e => e.OccurredAt >= from);
        }

        if (To is { } to)
        {
            rows = rows.Where(e => e.OccurredAt < to);
        }

        if (Operation is { } op)
        {
            rows = rows.Where(e => e.Operation == op);
        }

        if (Outcome is { } outcome)
        {
            rows = rows.Where(e => e.Outcome == outcome);
        }

        if (!string.IsNullOrWhiteSpace(Text))
        {
            var p = MemberDirectory.ContainsPattern(Text);
            rows = rows.Where(e => EF.Functions.Like(e.Actor, p, MemberDirectory.LikeEscape)
                || EF.Functions.Like(e.Path, p, MemberDirectory.LikeEscape)
                || EF.Functions.Like(e.ResourceId, p, MemberDirectory.LikeEscape)
                || EF.Functions.Like(e.Summary, p, MemberDirectory.LikeEscape));
        }

        return rows.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id);
    }

    private static DateTime? ParseTime(string? text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
