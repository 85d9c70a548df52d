using System.Text.Json;
using System.Text.Json.Serialization;

namespace IdeaScale.Portal.Scim.Logging;

/// <summary>One attribute's change: the SCIM path, its value before and after (null: unset). Secrets read "changed".</summary>
public sealed record AttributeChange(string Attribute, string? Before, string? After);

/// <summary>Memberships a group write added or removed, by name at the time of the write (capped; <c>…More</c> counts the rest).</summary>
public sealed record MembershipChange(
    IReadOnlyList<string> Added, int AddedMore, IReadOnlyList<string> Removed, int RemovedMore, bool Replaced = false)
{
    public bool IsEmpty => Added.Count == 0 && AddedMore == 0 && Removed.Count == 0 && RemovedMore == 0 && !Replaced;
}

/// <summary>
/// The structured story of a provisioning-log row (stored as JSON in <see cref="ProvisioningEvent.Details"/>): what a
/// write changed, and the recorded facts a failure's explanation is built from (<see cref="FailureExplanation"/>).
/// Everything is redacted when recorded: no password, token or secret value is ever in it.
/// </summary>
public sealed record ProvisioningDetails
{
    public IReadOnlyList<AttributeChange>? Changes { get; init; }
    public MembershipChange? Members { get; init; }

    /// <summary>The SCIM error type of a failure (uniqueness, invalidFilter, …).</summary>
    public string? ScimType { get; init; }

    /// <summary>A 429's Retry-After, in seconds.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>The attribute and value that collided (409 uniqueness).</summary>
    public string? ConflictAttribute { get; init; }
    public string? ConflictValue { get; init; }

    /// <summary>The reason given for an audit action (SCIM disabled).</summary>
    public string? Reason { get; init; }

    public bool IsEmpty => Changes is not { Count: > 0 } && Members is null && ScimType is null && RetryAfterSeconds is null
        && ConflictAttribute is null && Reason is null;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string? Serialize() => IsEmpty ? null : JsonSerializer.Serialize(this, Json);

    /// <summary>The stored JSON back as details; null when there is none or it cannot be read (older rows).</summary>
    public static ProvisioningDetails? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ProvisioningDetails>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
