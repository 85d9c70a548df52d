using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Groups;

/// <summary>One member of a group as returned in <c>members</c>.</summary>
public sealed record GroupMemberRow(Guid GroupId, Guid MemberId, GroupMemberType Type, string? Display);

/// <summary>
/// Maps <see cref="WorkspaceGroup"/> to and from the canonical SCIM Group representation, from the registry.
/// Members are never written here: they change through <see cref="GroupMembershipWriter"/> as set deltas.
/// </summary>
public static class GroupMapper
{
    private static ScimResourceType Type => ScimRegistry.GroupType;

    /// <param name="members">The group's members, or null when they were not loaded (not requested).</param>
    public static JsonObject ToJson(WorkspaceGroup group, IReadOnlyList<GroupMemberRow>? members, string baseUrl)
    {
        var resource = new JsonObject
        {
            ["schemas"] = new JsonArray(JsonValue.Create(Type.Core.Id)),
            ["id"] = group.Id.ToString(),
        };
        if (group.ExternalId is not null)
        {
            resource["externalId"] = group.ExternalId;
        }

        foreach (var attribute in Type.Core.Attributes)
        {
            switch (attribute.Storage)
            {
                case Storage.Column when ColumnAccess.Read(attribute, group) is { } value:
                    resource[attribute.Name] = value;
                    break;
                case Storage.MembersOfGroup when members is { Count: > 0 }:
                    resource[attribute.Name] = new JsonArray([.. members.Select(m => Member(m, baseUrl))]);
                    break;
                default:
                    break;
            }
        }

        resource["meta"] = ResourceMeta.For(Type.Name, group, ResourceMeta.Location(baseUrl, Type.Endpoint, group.Id));
        return resource;
    }

    private static JsonObject Member(GroupMemberRow row, string baseUrl)
    {
        var endpoint = row.Type == GroupMemberType.Group ? ScimRegistry.GroupType.Endpoint : ScimRegistry.UserType.Endpoint;
        var member = new JsonObject
        {
            ["value"] = row.MemberId.ToString(),
            ["$ref"] = ResourceMeta.Location(baseUrl, endpoint, row.MemberId),
            ["type"] = row.Type.ToString(),
        };
        if (row.Display is not null)
        {
            member["display"] = row.Display;
        }

        return member;
    }

    /// <summary>Writes the column attributes (displayName, externalId) of a canonical representation.</summary>
    public static void Write(JsonObject resource, WorkspaceGroup group)
    {
        foreach (var attribute in Type.Core.Attributes.Concat(Type.Common))
        {
            if (attribute.Storage == Storage.Column && attribute.Mutability != Mutability.ReadOnly)
            {
                ColumnAccess.Write(attribute, group, resource[attribute.Name]);
            }
        }

        if (string.IsNullOrWhiteSpace(group.DisplayName))
        {
            throw ScimException.InvalidValue("displayName is required.");
        }
    }

    /// <summary>
    /// The members of a page of groups in one query, with each member's display name, in key order (member id, as
    /// <see cref="GroupReader"/> streams them).
    /// </summary>
    public static async Task<ILookup<Guid, GroupMemberRow>> LoadMembersAsync(PortalDbContext db, IReadOnlyCollection<Guid> groupIds, CancellationToken ct)
    {
        if (groupIds.Count == 0)
        {
            return Array.Empty<GroupMemberRow>().ToLookup(r => r.GroupId);
        }

        var rows = await (
            from gm in db.GroupMemberships.AsNoTracking()
            where groupIds.Contains(gm.GroupId)
            join u in db.Members on gm.MemberId equals u.Id into users
            from u in users.DefaultIfEmpty()
            join g in db.Groups on gm.MemberId equals g.Id into groups
            from g in groups.DefaultIfEmpty()
            orderby gm.GroupId, gm.MemberId
            select new GroupMemberRow(gm.GroupId, gm.MemberId, gm.MemberType, u != null ? (u.DisplayName ?? u.UserName) : g != null ? g.DisplayName : null))
            .ToListAsync(ct);
        return rows.ToLookup(r => r.GroupId);
    }
}
