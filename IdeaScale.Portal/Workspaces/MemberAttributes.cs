using System.Collections.Concurrent;
using System.Globalization;
using System.Linq.Expressions;

using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Workspaces;

/// <summary>One attribute value as the portal shows it: a SCIM path (emails[0].value) and its text, null when unset.</summary>
public sealed record AttributeLine(string Path, string? Value);

/// <summary>The attributes of one schema (core, enterprise, IdeaScale extension) or of the common attributes.</summary>
public sealed record AttributeSection(string SchemaId, string Title, IReadOnlyList<AttributeLine> Lines);

/// <summary>
/// Lists every SCIM attribute of a member for the portal, by walking the attribute registry (habit 1): a new row
/// in <see cref="ScimRegistry"/> shows up in the detail drawer without touching this class.
/// </summary>
internal static class MemberAttributes
{
    private static readonly ConcurrentDictionary<LambdaExpression, Delegate> Compiled = new();

    public static IReadOnlyList<AttributeSection> Describe(WorkspaceMember member, ManagerRef? manager, IReadOnlyList<GroupRef> groups, string location)
    {
        var type = ScimRegistry.UserType;
        var sections = new List<AttributeSection>
        {
            new("common", "Identifiers and meta", type.Common.SelectMany(a => Lines(a, a.Name, member, manager, groups, location)).ToList()),
        };
        foreach (var schema in type.Schemas)
        {
            sections.Add(new AttributeSection(schema.Id, schema.Description, schema.Attributes
                .SelectMany(a => Lines(a, a.Name, member, manager, groups, location)).ToList()));
        }

        return sections;
    }

    private static IEnumerable<AttributeLine> Lines(
        ScimAttribute attribute, string path, WorkspaceMember member, ManagerRef? manager, IReadOnlyList<GroupRef> groups, string location)
    {
        switch (attribute.Storage)
        {
            case Storage.Column:
                yield return new AttributeLine(path, Format(Read(attribute.Column, member)));
                break;
            case Storage.Inline:
                foreach (var sub in attribute.SubAttributes)
                {
                    yield return new AttributeLine($"{path}.{sub.Name}", Format(Read(sub.Column, member)));
                }

                break;
            case Storage.ValueRows:
                foreach (var line in Rows(attribute, path, member.Values.Where(v => v.Kind == attribute.RowKind).OrderBy(v => v.Ordinal).ToList()))
                {
                    yield return line;
                }

                break;
            case Storage.AddressRows:
                foreach (var line in Rows(attribute, path, member.Addresses.OrderBy(a => a.Ordinal).ToList()))
                {
                    yield return line;
                }

                break;
            case Storage.Manager:
                if (member.ManagerValue is null)
                {
                    yield return new AttributeLine(path, null);
                    break;
                }

                if (manager is null)
                {
                    // Kept as the IdP sent it, but not a user of this workspace (a username, an employee id, a deleted user).
                    yield return new AttributeLine($"{path}.value", $"unresolved: {member.ManagerValue}");
                    break;
                }

                yield return new AttributeLine($"{path}.value", member.ManagerValue);
                yield return new AttributeLine($"{path}.$ref", location[..location.LastIndexOf('/')] + "/" + manager.Id);
                yield return new AttributeLine($"{path}.displayName", manager.DisplayName ?? manager.UserName);
                break;
            case Storage.GroupsOfUser:
                if (groups.Count == 0)
                {
                    yield return new AttributeLine(path, null);
                }

                var groupsUrl = location[..location.LastIndexOf("/Users/", StringComparison.Ordinal)] + "/Groups/";
                for (var i = 0; i < groups.Count; i++)
                {
                    yield return new AttributeLine($"{path}[{i}].value", groups[i].Id.ToString());
                    yield return new AttributeLine($"{path}[{i}].$ref", groupsUrl + groups[i].Id);
                    yield return new AttributeLine($"{path}[{i}].display", groups[i].DisplayName);
                    yield return new AttributeLine($"{path}[{i}].type", "direct");
                }

                break;
            case Storage.Password:
                // Write-only and never returned: the portal says whether one is set, nothing more.
                yield return new AttributeLine(path, member.PasswordHash is null ? null : "(set; never shown)");
                break;
            case Storage.Meta:
                yield return new AttributeLine($"{path}.resourceType", ScimRegistry.UserType.Name);
                yield return new AttributeLine($"{path}.created", Format(member.Created));
                yield return new AttributeLine($"{path}.lastModified", Format(member.LastModified));
                yield return new AttributeLine($"{path}.location", location);
                yield return new AttributeLine($"{path}.version", $"W/\"{member.Version.ToString(CultureInfo.InvariantCulture)}\"");
                break;
            case Storage.MembersOfGroup:
                break;
        }
    }

    private static IEnumerable<AttributeLine> Rows<TRow>(ScimAttribute attribute, string path, IReadOnlyList<TRow> rows)
        where TRow : class
    {
        if (rows.Count == 0)
        {
            yield return new AttributeLine(path, null);
        }

        for (var i = 0; i < rows.Count; i++)
        {
            foreach (var sub in attribute.SubAttributes.Where(s => s.Column is not null))
            {
                yield return new AttributeLine($"{path}[{i}].{sub.Name}", Format(Read(sub.Column, rows[i])));
            }
        }
    }

    private static object? Read(LambdaExpression? column, object entity) =>
        column is null ? null : Compiled.GetOrAdd(column, c => c.Compile()).DynamicInvoke(entity);

    private static string? Format(object? value) => value switch
    {
        null => null,
        string s => s.Length == 0 ? null : s,
        bool b => b ? "true" : "false",
        DateTime d => DateTime.SpecifyKind(d, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
