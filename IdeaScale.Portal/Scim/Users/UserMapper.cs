using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;

using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Users;

/// <summary>A user's rows that live outside the member table, loaded for a page in one query per kind.</summary>
public sealed record UserRows(
    IReadOnlyList<MemberValue> Values,
    IReadOnlyList<MemberAddress> Addresses,
    IReadOnlyList<(Guid Id, string Display)> Groups,
    string? ManagerDisplay)
{
    public static UserRows Empty { get; } = new([], [], [], null);
}

/// <summary>
/// Maps <see cref="WorkspaceMember"/> to and from the canonical SCIM User representation, attribute by attribute
/// from the registry (switching on <see cref="ScimAttribute.Storage"/>). POST, PUT and PATCH all write through
/// <see cref="WriteAsync"/>. Entities never leave this class and the endpoints.
/// </summary>
/// <param name="db">The request's context: the rows of a page, a user's groups.</param>
/// <param name="findManager">
/// The display name of a user of the workspace, or null (the manager check of a write); by default a compiled EF query.
/// A PUT or PATCH reads it in its own write transaction.
/// </param>
public sealed class UserMapper(PortalDbContext db, Func<Guid, Guid, CancellationToken, Task<string?>>? findManager = null)
{
    private static readonly PasswordHasher<WorkspaceMember> Hasher = new();
    private static ScimResourceType Type => ScimRegistry.UserType;

    public static JsonObject ToJson(WorkspaceMember member, UserRows rows, string baseUrl)
    {
        var resource = new JsonObject { ["schemas"] = new JsonArray(), ["id"] = member.Id.ToString() };
        if (member.ExternalId is not null)
        {
            resource["externalId"] = member.ExternalId;
        }

        var schemas = new JsonArray(JsonValue.Create(Type.Core.Id));
        foreach (var schema in Type.Schemas)
        {
            var container = ReferenceEquals(schema, Type.Core) ? resource : new JsonObject();
            foreach (var attribute in schema.Attributes)
            {
                if (Read(attribute, member, rows, baseUrl) is { } value)
                {
                    container[attribute.Name] = value;
                }
            }

            if (!ReferenceEquals(schema, Type.Core) && container.Count > 0)
            {
                resource[schema.Id] = container;
                schemas.Add(schema.Id);
            }
        }

        resource["schemas"] = schemas;
        resource["meta"] = ResourceMeta.For(Type.Name, member, ResourceMeta.Location(baseUrl, Type.Endpoint, member.Id));
        return resource;
    }

    private static JsonNode? Read(ScimAttribute attribute, WorkspaceMember member, UserRows rows, string baseUrl)
    {
        switch (attribute.Storage)
        {
            case Storage.Column:
                return ColumnAccess.Read(attribute, member);
            case Storage.Inline:
                return Object(attribute.SubAttributes.Select(s => (s.Name, ColumnAccess.Read(s, member))));
            case Storage.ValueRows:
                return rows.Values.Count == 0 ? null : Array(rows.Values.Where(v => v.Kind == attribute.RowKind).OrderBy(v => v.Ordinal).Select(v => RowObject(attribute, v)));
            case Storage.AddressRows:
                return rows.Addresses.Count == 0 ? null : Array(rows.Addresses.OrderBy(a => a.Ordinal).Select(a => RowObject(attribute, a)));
            case Storage.Manager:
                // The reference as sent; $ref and displayName only when it is linked to a user.
                return member.ManagerValue is { } reference
                    ? Object([
                        ("value", reference),
                        ("$ref", member.ManagerId is { } manager ? ResourceMeta.Location(baseUrl, Type.Endpoint, manager) : null),
                        ("displayName", member.ManagerId is null ? null : rows.ManagerDisplay)])
                    : null;
            case Storage.GroupsOfUser:
                return rows.Groups.Count == 0 ? null : Array(rows.Groups.Select(g => Object([
                    ("value", g.Id.ToString()),
                    ("$ref", ResourceMeta.Location(baseUrl, ScimRegistry.GroupType.Endpoint, g.Id)),
                    ("display", g.Display),
                    ("type", "direct")])!));
            case Storage.Password or Storage.Meta or Storage.MembersOfGroup:
                return null;
            default:
                throw new InvalidOperationException($"Unmapped storage {attribute.Storage}.");
        }
    }

    /// <summary>A value row as a SCIM element; primary is returned only when true.</summary>
    private static JsonObject RowObject(ScimAttribute attribute, object row) =>
        Object(attribute.SubAttributes.Where(s => s.Column is not null).Select(s => (s.Name, ColumnAccess.Read(s, row) is var v
            && v?.GetValueKind() == System.Text.Json.JsonValueKind.False ? null : v)))
        ?? [];

    private static JsonObject? Object(IEnumerable<(string Name, JsonNode? Value)> values)
    {
        var obj = new JsonObject();
        foreach (var (name, value) in values)
        {
            if (value is not null)
            {
                obj[name] = value;
            }
        }

        return obj.Count == 0 ? null : obj;
    }

    private static JsonObject? Object(IEnumerable<(string Name, string? Value)> values) =>
        Object(values.Select(v => (v.Name, v.Value is null ? null : (JsonNode)JsonValue.Create(v.Value))));

    private static JsonArray? Array(IEnumerable<JsonObject> items)
    {
        var array = new JsonArray([.. items]);
        return array.Count == 0 ? null : array;
    }

    /// <summary>Which of a user's rows outside the member table a selection returns.</summary>
    public readonly record struct RowNeeds(bool Values, bool Addresses, bool Groups, bool Manager)
    {
        /// <summary>The full representation's needs (no attributes or excludedAttributes: the common case).</summary>
        private static readonly RowNeeds All = Compute(AttributeSelection.Parse(Type, null, null));

        public static RowNeeds For(AttributeSelection selection) => selection.IsAll ? All : Compute(selection);

        private static RowNeeds Compute(AttributeSelection selection)
        {
            bool Any(Storage storage) => Type.Schemas.SelectMany(s => s.Attributes).Any(a => a.Storage == storage && selection.Includes(a));
            return new(Any(Storage.ValueRows), Any(Storage.AddressRows), Any(Storage.GroupsOfUser), Any(Storage.Manager));
        }
    }

    /// <summary>
    /// The rows of one user whose values and addresses are loaded with it (GET /Users/{id}, the lookup, the answer
    /// to a write): its groups by a compiled query when the selection shows them, and its manager's name, which a
    /// write through this mapper already read.
    /// </summary>
    public async Task<UserRows> LoadRowsAsync(WorkspaceMember member, AttributeSelection selection, CancellationToken ct)
    {
        var needs = RowNeeds.For(selection);
        var groups = needs.Groups ? await ToListAsync(UserQueries.Groups(db, member.Id), ct) : [];
        var manager = needs.Manager && member.ManagerId is { } managerId
            ? ManagerDisplay ?? await UserQueries.ManagerDisplay(db, member.WorkspaceId, managerId, ct)
            : null;
        return new UserRows(needs.Values ? member.Values : [], needs.Addresses ? member.Addresses : [], groups.ConvertAll(g => (g.Id, g.DisplayName)), manager);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> rows, CancellationToken ct)
    {
        var list = new List<T>();
        await foreach (var row in rows.WithCancellation(ct))
        {
            list.Add(row);
        }

        return list;
    }

    /// <summary>
    /// Loads the rows of a page of users, one query per kind, and only the kinds the selection returns.
    /// </summary>
    public async Task<Dictionary<Guid, UserRows>> LoadRowsAsync(IReadOnlyCollection<WorkspaceMember> members, AttributeSelection selection, CancellationToken ct)
    {
        var ids = members.Select(m => m.Id).ToList();
        var needs = RowNeeds.For(selection);

        var values = !needs.Values || ids.Count == 0 ? [] : await db.MemberValues.AsNoTracking()
            .Where(v => ids.Contains(v.MemberId)).ToListAsync(ct);
        var addresses = !needs.Addresses || ids.Count == 0 ? [] : await db.MemberAddresses.AsNoTracking()
            .Where(a => ids.Contains(a.MemberId)).ToListAsync(ct);
        var groups = !needs.Groups || ids.Count == 0 ? [] : await (
            from gm in db.GroupMemberships
            where ids.Contains(gm.MemberId)
            join g in db.Groups on gm.GroupId equals g.Id
            orderby g.DisplayName
            select new { gm.MemberId, g.Id, g.DisplayName }).ToListAsync(ct);
        var managerIds = members.Where(m => m.ManagerId is not null).Select(m => m.ManagerId!.Value).Distinct().ToList();
        var managers = managerIds.Count == 0 || !needs.Manager ? [] : await db.Members.AsNoTracking()
            .Where(m => managerIds.Contains(m.Id)).Select(m => new { m.Id, Display = m.DisplayName ?? m.UserName }).ToListAsync(ct);

        var valuesByMember = values.ToLookup(v => v.MemberId);
        var addressesByMember = addresses.ToLookup(a => a.MemberId);
        var groupsByMember = groups.ToLookup(g => g.MemberId);
        var managerNames = managers.ToDictionary(m => m.Id, m => m.Display);
        return members.ToDictionary(m => m.Id, m => new UserRows(
            [.. valuesByMember[m.Id]],
            [.. addressesByMember[m.Id]],
            [.. groupsByMember[m.Id].Select(g => (g.Id, g.DisplayName))],
            m.ManagerId is { } manager ? managerNames.GetValueOrDefault(manager) : null));
    }

    /// <summary>
    /// Writes a canonical representation to a tracked member (with its Values and Addresses loaded): every
    /// writable attribute is replaced, an absent one becomes unassigned (RFC 7644 §3.5.1). readOnly attributes
    /// are not written; immutable ones may be set once; the password is stored only as a hash.
    /// </summary>
    public async Task WriteAsync(JsonObject resource, WorkspaceMember member, Guid workspaceId, CancellationToken ct)
    {
        foreach (var schema in Type.Schemas)
        {
            var container = ReferenceEquals(schema, Type.Core) ? resource : resource[schema.Id] as JsonObject;
            foreach (var attribute in schema.Attributes.Concat(ReferenceEquals(schema, Type.Core) ? Type.Common : []))
            {
                if (attribute.Mutability == Mutability.ReadOnly)
                {
                    continue;
                }

                var value = container?[attribute.Name];
                switch (attribute.Storage)
                {
                    case Storage.Column:
                        CheckImmutable(attribute, member, value);
                        ColumnAccess.Write(attribute, member, value);
                        break;
                    case Storage.Inline:
                        foreach (var sub in attribute.SubAttributes)
                        {
                            ColumnAccess.Write(sub, member, (value as JsonObject)?[sub.Name]);
                        }

                        break;
                    case Storage.ValueRows:
                        WriteRows(attribute, value as JsonArray, member.Values.Where(v => v.Kind == attribute.RowKind).OrderBy(v => v.Ordinal).ToList(),
                            () => new MemberValue { Kind = attribute.RowKind!.Value }, member.Values.Add, v => member.Values.Remove(v), (row, i) => row.Ordinal = i);
                        break;
                    case Storage.AddressRows:
                        WriteRows(attribute, value as JsonArray, member.Addresses.OrderBy(a => a.Ordinal).ToList(),
                            () => new MemberAddress(), member.Addresses.Add, a => member.Addresses.Remove(a), (row, i) => row.Ordinal = i);
                        break;
                    case Storage.Manager:
                        (member.ManagerValue, member.ManagerId) = await ManagerAsync(value, member, workspaceId, ct);
                        break;
                    case Storage.Password:
                        if (value is JsonValue password)
                        {
                            member.PasswordHash = Hasher.HashPassword(member, password.GetValue<string>());
                        }

                        break;
                    case Storage.GroupsOfUser or Storage.Meta or Storage.MembersOfGroup:
                        break;
                    default:
                        throw new InvalidOperationException($"Unmapped storage {attribute.Storage}.");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(member.UserName))
        {
            throw ScimException.InvalidValue("userName is required.");
        }
    }

    private static void CheckImmutable(ScimAttribute attribute, object entity, JsonNode? value)
    {
        if (attribute.Mutability == Mutability.Immutable && ColumnAccess.Read(attribute, entity) is { } current
            && !JsonNode.DeepEquals(current, value))
        {
            throw ScimException.Mutability($"'{attribute.Name}' is immutable and already set.");
        }
    }

    /// <summary>Rewrites the rows of one multi-valued attribute in order, reusing existing rows.</summary>
    private static void WriteRows<TRow>(ScimAttribute attribute, JsonArray? items, List<TRow> existing, Func<TRow> create, Action<TRow> add, Action<TRow> remove, Action<TRow, int> setOrdinal)
        where TRow : class
    {
        var elements = items?.OfType<JsonObject>().ToList() ?? [];
        if (elements.Count(e => e["primary"] is JsonValue p && p.GetValue<bool>()) > 1)
        {
            throw ScimException.InvalidValue($"At most one of '{attribute.Name}' may be primary.");
        }

        for (var i = 0; i < elements.Count; i++)
        {
            var row = i < existing.Count ? existing[i] : create();
            foreach (var sub in attribute.SubAttributes.Where(s => s.Column is not null))
            {
                ColumnAccess.Write(sub, row, elements[i][sub.Name]);
            }

            setOrdinal(row, i);
            if (i >= existing.Count)
            {
                add(row);
            }
        }

        foreach (var extra in existing.Skip(elements.Count))
        {
            remove(extra);
        }
    }

    /// <summary>
    /// The manager's display name as the last <see cref="WriteAsync"/> found it while checking the manager (null when
    /// the user has none), so the answer to a write needs no second read.
    /// </summary>
    public string? ManagerDisplay { get; private set; }

    /// <summary>
    /// The manager reference to store, and the user it links to. The reference is kept as sent, whatever it names
    /// (IdpQuirks.ManagerValueNotAnId, IdpQuirks.DeletedManager): it is linked when it is the id of another user of
    /// this workspace, and left unresolved otherwise, never failing the write. An empty value is no manager.
    /// </summary>
    private async Task<(string? Value, Guid? Id)> ManagerAsync(JsonNode? value, WorkspaceMember member, Guid workspaceId, CancellationToken ct)
    {
        ManagerDisplay = null;
        if ((value as JsonObject)?["value"] is not JsonValue sent || sent.GetValue<string>() is not { } reference || string.IsNullOrWhiteSpace(reference))
        {
            return (null, null);
        }

        // The display name is never null for an existing user (it falls back to the userName): null means no such user.
        var display = Guid.TryParse(reference, out var managerId) && managerId != member.Id
            ? await (findManager is null ? UserQueries.ManagerDisplay(db, workspaceId, managerId, ct) : findManager(workspaceId, managerId, ct))
            : null;
        ManagerDisplay = display;
        return (reference, display is null ? null : managerId);
    }
}
