using System.IO.Pipelines;
using System.Text.Json;

using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Groups;

/// <summary>
/// Writes a Group straight to the response: the same bytes as <see cref="GroupMapper.ToJson"/> followed by
/// <see cref="AttributeSelection.Apply"/> and serialisation (GroupStreamingTests compare them), with the members
/// written as <see cref="GroupReader"/> reads them and the writer flushed to the response whenever a chunk is full,
/// so a group of any size is sent with bounded memory. Attributes come from the registry.
/// </summary>
public static class GroupJsonWriter
{
    /// <summary>Bytes buffered before they are sent on.</summary>
    private const int FlushThreshold = 32 * 1024;

    private static ScimResourceType Type => ScimRegistry.GroupType;
    private static readonly ScimAttribute ExternalId = Type.Common.Single(a => a.Name == "externalId");

    /// <param name="members">The members in the order to write them, or null when they are not returned.</param>
    public static async Task WriteAsync(
        Utf8JsonWriter writer, PipeWriter pipe, WorkspaceGroup group, IAsyncEnumerable<GroupMemberRow>? members, string baseUrl, AttributeSelection selection, CancellationToken ct)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("schemas");
        writer.WriteStringValue(Type.Core.Id);
        writer.WriteEndArray();
        writer.WriteString("id", group.Id.ToString());
        if (group.ExternalId is { } externalId && selection.Keeps(ExternalId))
        {
            writer.WriteString("externalId", externalId);
        }

        foreach (var attribute in Type.Core.Attributes)
        {
            if (!selection.Keeps(attribute))
            {
                continue;
            }

            switch (attribute.Storage)
            {
                case Storage.Column when ColumnAccess.Value(attribute, group) is { } value:
                    ColumnAccess.WriteValue(writer, attribute.Name, value);
                    break;
                case Storage.MembersOfGroup when members is not null:
                    await WriteMembersAsync(writer, pipe, attribute, members, baseUrl, selection, ct);
                    break;
                default:
                    break;
            }
        }

        writer.WriteStartObject("meta");
        writer.WriteString("resourceType", Type.Name);
        writer.WriteString("created", ResourceMeta.Time(group.Created));
        writer.WriteString("lastModified", ResourceMeta.Time(group.LastModified));
        writer.WriteString("location", ResourceMeta.Location(baseUrl, Type.Endpoint, group.Id));
        writer.WriteString("version", ETags.For(group.Version));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The members array, written only when there is a member (as ToJson leaves an empty one out).</summary>
    private static async Task WriteMembersAsync(
        Utf8JsonWriter writer, PipeWriter pipe, ScimAttribute attribute, IAsyncEnumerable<GroupMemberRow> members, string baseUrl, AttributeSelection selection, CancellationToken ct)
    {
        var started = false;
        var subs = attribute.SubAttributes.ToDictionary(s => s.Name, s => selection.Keeps(attribute, s), StringComparer.Ordinal);
        await foreach (var row in members.WithCancellation(ct))
        {
            if (!started)
            {
                writer.WriteStartArray(attribute.Name);
                started = true;
            }

            writer.WriteStartObject();
            if (subs["value"])
            {
                writer.WriteString("value", row.MemberId.ToString());
            }

            if (subs["$ref"])
            {
                var endpoint = row.Type == GroupMemberType.Group ? ScimRegistry.GroupType.Endpoint : ScimRegistry.UserType.Endpoint;
                writer.WriteString("$ref", ResourceMeta.Location(baseUrl, endpoint, row.MemberId));
            }

            if (subs["type"])
            {
                writer.WriteString("type", row.Type.ToString());
            }

            if (row.Display is { } display && subs["display"])
            {
                writer.WriteString("display", display);
            }

            writer.WriteEndObject();
            await FlushIfFullAsync(writer, pipe, ct);
        }

        if (started)
        {
            writer.WriteEndArray();
        }
    }

    /// <summary>Sends what the writer holds once it passes <see cref="FlushThreshold"/>.</summary>
    public static async ValueTask FlushIfFullAsync(Utf8JsonWriter writer, PipeWriter pipe, CancellationToken ct)
    {
        if (writer.BytesPending >= FlushThreshold)
        {
            writer.Flush();
            await pipe.FlushAsync(ct);
        }
    }
}
