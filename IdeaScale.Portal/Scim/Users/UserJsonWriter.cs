using System.Text.Json;

using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Users;

/// <summary>
/// Writes a User straight to a <see cref="Utf8JsonWriter"/>, for responses (GET, lists, the answer to a write):
/// the same bytes as <see cref="UserMapper.ToJson"/> followed by <see cref="AttributeSelection.Apply"/> and
/// serialisation (UserJsonWriterTests compare them), without building and pruning a JSON tree per user, which
/// was a quarter of a page of 100 users (issue 6). Attributes come from the registry, so an attribute added
/// there is written here without a change.
/// </summary>
public static class UserJsonWriter
{
    private static ScimResourceType Type => ScimRegistry.UserType;
    private static readonly ScimAttribute ExternalId = Type.Common.Single(a => a.Name == "externalId");

    public static void Write(Utf8JsonWriter writer, WorkspaceMember member, UserRows rows, string baseUrl, AttributeSelection selection)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("schemas");
        writer.WriteStringValue(Type.Core.Id);
        foreach (var schema in Type.Schemas)
        {
            if (!ReferenceEquals(schema, Type.Core) && schema.Attributes.Any(a => Present(a, member, rows) && selection.Keeps(a)))
            {
                writer.WriteStringValue(schema.Id);
            }
        }

        writer.WriteEndArray();
        writer.WriteString("id", member.Id.ToString());
        if (member.ExternalId is { } externalId && selection.Keeps(ExternalId))
        {
            writer.WriteString("externalId", externalId);
        }

        foreach (var schema in Type.Schemas)
        {
            var core = ReferenceEquals(schema, Type.Core);
            var kept = schema.Attributes.Where(a => Present(a, member, rows) && selection.Keeps(a)).ToList();
            if (kept.Count == 0)
            {
                continue;
            }

            if (!core)
            {
                writer.WriteStartObject(schema.Id);
            }

            foreach (var attribute in kept)
            {
                WriteAttribute(writer, attribute, member, rows, baseUrl, selection);
            }

            if (!core)
            {
                writer.WriteEndObject();
            }
        }

        var location = ResourceMeta.Location(baseUrl, Type.Endpoint, member.Id);
        writer.WriteStartObject("meta");
        writer.WriteString("resourceType", Type.Name);
        writer.WriteString("created", ResourceMeta.Time(member.Created));
        writer.WriteString("lastModified", ResourceMeta.Time(member.LastModified));
        writer.WriteString("location", location);
        writer.WriteString("version", ETags.For(member.Version));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Whether the user has a value for the attribute (what <see cref="UserMapper.ToJson"/> writes at all).</summary>
    private static bool Present(ScimAttribute attribute, WorkspaceMember member, UserRows rows) => attribute.Storage switch
    {
        Storage.Column => ColumnAccess.Value(attribute, member) is not null,
        Storage.Inline => attribute.SubAttributes.Any(s => ColumnAccess.Value(s, member) is not null),
        Storage.ValueRows => rows.Values.Any(v => v.Kind == attribute.RowKind),
        Storage.AddressRows => rows.Addresses.Count > 0,
        Storage.Manager => member.ManagerValue is not null,
        Storage.GroupsOfUser => rows.Groups.Count > 0,
        _ => false,
    };

    private static void WriteAttribute(Utf8JsonWriter writer, ScimAttribute attribute, WorkspaceMember member, UserRows rows, string baseUrl, AttributeSelection selection)
    {
        switch (attribute.Storage)
        {
            case Storage.Column:
                ColumnAccess.WriteValue(writer, attribute.Name, ColumnAccess.Value(attribute, member)!);
                break;
            case Storage.Inline:
                writer.WriteStartObject(attribute.Name);
                WriteColumns(writer, attribute, member, selection, omitFalse: false);
                writer.WriteEndObject();
                break;
            case Storage.ValueRows:
                writer.WriteStartArray(attribute.Name);
                foreach (var row in rows.Values.Where(v => v.Kind == attribute.RowKind).OrderBy(v => v.Ordinal))
                {
                    writer.WriteStartObject();
                    WriteColumns(writer, attribute, row, selection, omitFalse: true);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                break;
            case Storage.AddressRows:
                writer.WriteStartArray(attribute.Name);
                foreach (var row in rows.Addresses.OrderBy(a => a.Ordinal))
                {
                    writer.WriteStartObject();
                    WriteColumns(writer, attribute, row, selection, omitFalse: true);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                break;
            case Storage.Manager:
                // The reference as sent; $ref and displayName only when it is linked to a user (as in UserMapper.ToJson).
                var manager = member.ManagerId;
                writer.WriteStartObject(attribute.Name);
                WriteSub(writer, attribute, "value", member.ManagerValue, selection);
                WriteSub(writer, attribute, "$ref", manager is { } linked ? ResourceMeta.Location(baseUrl, Type.Endpoint, linked) : null, selection);
                WriteSub(writer, attribute, "displayName", manager is null ? null : rows.ManagerDisplay, selection);
                writer.WriteEndObject();
                break;
            case Storage.GroupsOfUser:
                writer.WriteStartArray(attribute.Name);
                foreach (var (id, display) in rows.Groups)
                {
                    writer.WriteStartObject();
                    WriteSub(writer, attribute, "value", id.ToString(), selection);
                    WriteSub(writer, attribute, "$ref", ResourceMeta.Location(baseUrl, ScimRegistry.GroupType.Endpoint, id), selection);
                    WriteSub(writer, attribute, "display", display, selection);
                    WriteSub(writer, attribute, "type", "direct", selection);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"{attribute.Storage} is never written.");
        }
    }

    /// <summary>The column sub-attributes of one element; a row's false booleans (primary) are left out, as in ToJson.</summary>
    private static void WriteColumns(Utf8JsonWriter writer, ScimAttribute attribute, object entity, AttributeSelection selection, bool omitFalse)
    {
        foreach (var sub in attribute.SubAttributes)
        {
            if (sub.Column is null || ColumnAccess.Value(sub, entity) is not { } value || (omitFalse && value is false) || !selection.Keeps(attribute, sub))
            {
                continue;
            }

            ColumnAccess.WriteValue(writer, sub.Name, value);
        }
    }

    private static void WriteSub(Utf8JsonWriter writer, ScimAttribute attribute, string name, string? value, AttributeSelection selection)
    {
        if (value is not null && selection.Keeps(attribute, attribute.SubAttributes.First(s => s.Name == name)))
        {
            writer.WriteString(name, value);
        }
    }
}
