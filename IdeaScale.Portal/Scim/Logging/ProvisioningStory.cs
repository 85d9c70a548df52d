using System.Globalization;

namespace IdeaScale.Portal.Scim.Logging;

/// <summary>
/// The one-line summaries of SCIM writes, as a person reads them in the log and the CSV export: who or what was touched,
/// by name, and what changed (<c>updated ann@example.com: title: Engineer → Lead; password: changed</c>). Built from the
/// redacted <see cref="AttributeChange"/>s and <see cref="MembershipChange"/>, so no secret value can reach a summary.
/// </summary>
public static class ProvisioningStory
{
    /// <summary>How many member names a membership change lists; the rest are counted ("and 36 more").</summary>
    public const int MaxNames = 10;

    public static string Created(string kind, string subject, IReadOnlyList<AttributeChange> changes, MembershipChange? members = null) =>
        Join($"created {kind} {subject}",
            changes.Count == 0 ? null : "set " + string.Join(", ", changes.Select(c => c.Attribute)),
            members is { IsEmpty: false } ? Members(members) : null);

    public static string Updated(string verb, string kind, string subject, IReadOnlyList<AttributeChange> changes, MembershipChange? members = null)
    {
        var parts = changes.Select(ResourceDiff.Describe).ToList();
        if (members is { IsEmpty: false })
        {
            parts.Add(Members(members));
        }

        return Join($"{verb} {kind} {subject}", parts.Count == 0 ? "nothing changed" : string.Join("; ", parts));
    }

    public static string Deleted(string kind, string subject, string? consequence = null) => Join($"deleted {kind} {subject}", consequence);

    /// <summary><c>added Ann (ann@x), bob@x and 36 more; removed carol@x</c>; <c>members replaced</c> first for a PUT.</summary>
    public static string Members(MembershipChange members) => string.Join("; ", new[]
    {
        members.Replaced ? "members replaced" : null,
        members.Added.Count + members.AddedMore > 0 ? "added " + Names(members.Added, members.AddedMore) : null,
        members.Removed.Count + members.RemovedMore > 0 ? "removed " + Names(members.Removed, members.RemovedMore) : null,
    }.Where(s => s is not null));

    /// <summary><c>ann, bob and 3 more</c>.</summary>
    public static string Names(IReadOnlyList<string> names, int more) =>
        more > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{string.Join(", ", names)}{(names.Count > 0 ? " and " : "")}{more} more")
            : string.Join(", ", names);

    private static string Join(string head, params string?[] parts)
    {
        var rest = parts.Where(p => !string.IsNullOrEmpty(p)).ToList();
        return rest.Count == 0 ? head : head + ": " + string.Join("; ", rest);
    }
}
