using System.Globalization;

using IdeaScale.Portal.Workspaces;

using Microsoft.AspNetCore.WebUtilities;

namespace IdeaScale.Portal.Components.Pages.ManageWorkspace;

/// <summary>
/// The provisioning-log page's filters (time range, operation, outcome, free text, one member or group) and their
/// query-string form: the page keeps them in its URL (shareable, the back button steps through them) and its CSV
/// export link carries the same, so both select the same rows. The query itself is <see cref="Workspaces.ProvisioningLog"/>.
/// </summary>
public sealed record ProvisioningLogFilter(
    DateTime? From, DateTime? To, ProvisioningOperation? Operation, EventOutcome? Outcome, string? Text, string? Resource = null)
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

        if (!string.IsNullOrWhiteSpace(Resource))
        {
            q["resource"] = Resource.Trim();
        }

        return QueryHelpers.AddQueryString("", q);
    }

    /// <summary>Parses the export endpoint's query string; unknown or malformed values are ignored (no filter).</summary>
    public static ProvisioningLogFilter FromQuery(IQueryCollection query) =>
        FromValues(query["from"], query["to"], query["operation"], query["outcome"], query["text"], query["resource"]);

    /// <summary>The filters from their query-string values (the page's [SupplyParameterFromQuery] parameters, or the export's query).</summary>
    public static ProvisioningLogFilter FromValues(string? from, string? to, string? operation, string? outcome, string? text, string? resource) => new(
        ParseTime(from),
        ParseTime(to),
        Enum.TryParse<ProvisioningOperation>(operation, ignoreCase: true, out var op) && Enum.IsDefined(op) ? op : null,
        Enum.TryParse<EventOutcome>(outcome, ignoreCase: true, out var o) && Enum.IsDefined(o) ? o : null,
        string.IsNullOrWhiteSpace(text) ? null : text,
        string.IsNullOrWhiteSpace(resource) ? null : resource.Trim());

    /// <summary>The query for <see cref="Workspaces.ProvisioningLog"/> (which filters, orders and pages in the database).</summary>
    public ProvisioningLogQuery ToQuery(string slug, int skip = 0, int take = 50) =>
        new(slug, From, To, Operation is { } op ? [op] : null, Outcome, Text, skip, take, Resource);

    private static DateTime? ParseTime(string? text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
