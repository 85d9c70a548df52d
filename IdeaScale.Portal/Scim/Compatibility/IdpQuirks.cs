using System.Text.Json;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Compatibility;

/// <summary>
/// Named identity-provider quirks that the server tolerates on purpose. Each is documented by its vendor
/// (see /work/shared/SCIM-INTEROP.md) and has a replay test in IdeaScale.Portal.Tests/Scim/Compatibility.
/// Keep every tolerated deviation from RFC 7643/7644 here, so it does not spread through the code.
/// </summary>
public static class IdpQuirks
{
    /// <summary>
    /// EntraCapitalisedOps: Microsoft Entra ID (default mode) sends "Add", "Replace", "Remove".
    /// RFC 7644 §3.5.2 spells them lower-case; we match op names case-insensitively.
    /// </summary>
    public static bool OpEquals(string sent, string op) => string.Equals(sent, op, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// EntraStringBooleans: Entra's default mode sends booleans as strings, e.g.
    /// <c>{"op":"Replace","path":"active","value":"False"}</c>. Accepted for boolean attributes only.
    /// </summary>
    public static bool TryStringBoolean(JsonValue value, out bool result)
    {
        result = false;
        return value.GetValueKind() == JsonValueKind.String && bool.TryParse(value.GetValue<string>(), out result);
    }

    /// <summary>
    /// EntraManagerAsString / EntraManagerAsArray: Entra sends the enterprise manager as a bare id string
    /// (<c>"value":"&lt;id&gt;"</c>) or as a one-element array <c>[{"$ref":...,"value":"&lt;id&gt;"}]</c>;
    /// RFC 7643 §4.3 defines it as a single complex value <c>{"value":"&lt;id&gt;"}</c>.
    /// Applies to attributes stored as <see cref="Storage.Manager"/>.
    /// </summary>
    public static JsonNode? ManagerValue(ScimAttribute attribute, JsonNode? value)
    {
        if (attribute.Storage != Storage.Manager)
        {
            return value;
        }

        var manager = value switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => new JsonObject { ["value"] = v.GetValue<string>() },
            JsonArray { Count: 0 } => null,
            JsonArray { Count: 1 } a => a[0]?.DeepClone(),
            _ => value,
        };

        // OktaManagerValueNotAnId: an employee id mapped from a numeric profile field arrives as a JSON number.
        if (manager is JsonObject { } reference && reference["value"] is JsonValue number && number.GetValueKind() == JsonValueKind.Number)
        {
            reference = (JsonObject)reference.DeepClone();
            reference["value"] = number.ToJsonString();
            return reference;
        }

        return manager;
    }

    /// <summary>
    /// OktaManagerValueNotAnId: Okta commonly maps <c>manager.value</c> to the manager's username or employee id, not
    /// to a SCIM id. EntraDeletedManager: Entra keeps sending the id of a manager we deleted (or that it never
    /// provisioned here). RFC 7643 §4.3 calls <c>value</c> "the id of the SCIM resource representing the User's
    /// manager"; we keep whatever is sent as the reference (returned as sent, filterable with
    /// <c>manager.value eq "…"</c>), link it when it is the id of another user of the workspace (then
    /// <c>displayName</c> and <c>$ref</c> are answered), and never fail the user's write because of it. An empty
    /// value is no manager. See <see cref="Users.UserMapper"/>; replay tests Okta/manager-reference.json and
    /// EntraId/deleted-manager.json.
    /// </summary>
    public const string ManagerValueNotAnId = "OktaManagerValueNotAnId";

    /// <inheritdoc cref="ManagerValueNotAnId"/>
    public const string DeletedManager = "EntraDeletedManager";

    /// <summary>
    /// MicrosoftValueFilterInAttributeNames: Microsoft's SCIM validator (and its Postman collection) names attributes
    /// in <c>attributes</c> / <c>excludedAttributes</c> with a value filter, e.g. <c>emails[type eq "work"].display</c>;
    /// RFC 7644 §3.10 attribute notation has no filter. We take <c>attr[filter].sub</c> as naming <c>attr.sub</c>
    /// (the whole attribute: a selection does not filter values). Returns null when the brackets do not close.
    /// Replay test EntraId/validator-attributes.json.
    /// </summary>
    public static string? WithoutValueFilter(string entry)
    {
        var open = entry.IndexOf('[', StringComparison.Ordinal);
        if (open < 0)
        {
            return entry.Contains(']', StringComparison.Ordinal) ? null : entry;
        }

        var close = entry.LastIndexOf(']');
        if (close < open || open == 0)
        {
            return null;
        }

        var rest = entry[(close + 1)..];
        return rest.Length == 0 || (rest[0] == '.' && !rest.Contains('[', StringComparison.Ordinal) && !rest.Contains(']', StringComparison.Ordinal))
            ? entry[..open] + rest
            : null;
    }

    /// <summary>
    /// EntraDottedExtensionPath: Entra has been seen sending the manager path as
    /// <c>urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager</c> (a dot after the schema URN
    /// instead of RFC 7644's colon). Rewrites the dot to a colon when the prefix is one of our schema URNs.
    /// </summary>
    public static string ExtensionPath(ScimResourceType type, string path)
    {
        foreach (var schema in type.Extensions)
        {
            if (path.Length > schema.Id.Length && path.StartsWith(schema.Id, StringComparison.OrdinalIgnoreCase) && path[schema.Id.Length] == '.')
            {
                return schema.Id + ":" + path[(schema.Id.Length + 1)..];
            }
        }

        return path;
    }

    /// <summary>
    /// OktaIdInReplaceValue: Okta renames groups with <c>{"op":"replace","value":{"id":"&lt;group id&gt;","displayName":"New"}}</c>,
    /// putting the read-only id inside a no-path value. Ignored when it equals the resource's id; any other id
    /// is a mutability error.
    /// </summary>
    public static bool IsOwnId(JsonNode? value, string resourceId) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String
        && string.Equals(v.GetValue<string>(), resourceId, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// EntraAddCreatesFilteredValue: Entra sends <c>Add</c> on <c>phoneNumbers[type eq "fax"].value</c> for a user
    /// with no fax number. RFC 7644 §3.5.2.1/3 would answer 400 noTarget; instead we create the value, taking
    /// its sub-attributes from the filter's <c>eq</c> comparisons. Also applied to <c>replace</c> with such a
    /// filter, which Entra uses interchangeably.
    /// </summary>
    public const string AddCreatesFilteredValue = "EntraAddCreatesFilteredValue";

    /// <summary>
    /// EntraRemoveMembersWithValue: Entra removes group members with <c>{"op":"Remove","path":"members","value":[{"value":"id"}]}</c>
    /// (a value on remove, which RFC 7644 §3.5.2.2 does not define). Only the listed values are removed.
    /// </summary>
    public const string RemoveWithValueList = "EntraRemoveMembersWithValue";

    /// <summary>
    /// EntraUnqualifiedExtensionAttribute: Entra checks the manager with <c>filter=id eq "U" and manager eq "M"</c>,
    /// naming the enterprise extension's <c>manager</c> without its schema URN. <see cref="ScimResourceType.Resolve"/>
    /// resolves an unqualified name that no core attribute has to the single extension attribute of that name.
    /// </summary>
    public const string UnqualifiedExtensionAttribute = "EntraUnqualifiedExtensionAttribute";

    /// <summary>
    /// EntraAadOptFlag: admins may append <c>?aadOptscim062020</c> to the tenant URL; Entra then sends it on
    /// every request. Unknown bare query flags are ignored: list parameters are read by name only.
    /// </summary>
    public const string UnknownQueryFlags = "EntraAadOptFlag";
}
