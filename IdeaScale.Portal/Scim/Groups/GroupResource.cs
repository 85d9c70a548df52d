using System.Text.Json.Nodes;

using IdeaScale.Portal.Data.Interceptors;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Patching;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Resources;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Tenancy;
using IdeaScale.Portal.Scim.Users;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Groups;

/// <summary>
/// /Groups through <see cref="ResourceEndpoints"/>: members are loaded only when returned, and then streamed by
/// <see cref="GroupReader"/> with bounded memory (the <c>TRows</c> of a read is its open member read, owned by the
/// response); creates, PUTs and PATCHes are written with prepared statements by <see cref="GroupMembershipWriter"/>,
/// membership changes set-wise. Scoped: one per request.
/// </summary>
public sealed class GroupResource(PortalDbContext db, GroupReader reader, GroupMembershipWriter writer, ScimTenant tenant, TimeProvider time) : IResourceStore<WorkspaceGroup, GroupReader.Read?>
{
    private UserWriter.Update? update;

    private static ScimAttribute MembersAttribute { get; } = ScimRegistry.GroupType.Core.Attributes.Single(a => a.Storage == Storage.MembersOfGroup);

    public ScimResourceType Type => ScimRegistry.GroupType;

    public string Kind => "group";

    public string NameAttribute => "displayName";

    public string Subject(WorkspaceGroup entity) => entity.DisplayName;

    /// <summary>Group PATCH answers 204 unless a representation is asked for (see <see cref="ResourceEndpoints.AnswersNoContent"/>).</summary>
    public bool PatchAnswersNoContent => true;

    public IQueryable<WorkspaceGroup> Query(string? filter) =>
        ScimQueries.FilterGroups(db.Groups.AsNoTracking().Where(g => g.WorkspaceId == tenant.WorkspaceId), filter, db);

    public Task<(int Total, List<WorkspaceGroup> Page)?> LookupAsync(ListQuery query, AttributeSelection selection, CancellationToken ct) =>
        Task.FromResult<(int, List<WorkspaceGroup>)?>(null);

    /// <summary>The response is streamed, each group's members read in batches by <see cref="GroupReader"/> (none when they are excluded).</summary>
    public async Task<IResult> RenderListAsync(ResourcePage<WorkspaceGroup> page, AttributeSelection selection, CancellationToken ct)
    {
        var read = selection.Includes(MembersAttribute) && page.Resources.Count > 0 ? await reader.BeginAsync(ct) : null;
        return ScimResult.Streamed(async (writer, pipe, token) =>
        {
            ScimResult.WriteListStart(writer, page.Total, page.StartIndex, page.Resources.Count, page.NextCursor);
            foreach (var listed in page.Resources)
            {
                // The group as the members' snapshot has it (its version matches them); as listed if deleted since.
                var group = read is null ? listed : await read.GroupAsync(tenant.WorkspaceId, listed.Id, token) ?? listed;
                await GroupJsonWriter.WriteAsync(writer, pipe, group, read?.MembersAsync(group.Id, token), tenant.BaseUrl, selection, token);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }, null, read);
    }

    /// <summary>Members loaded whole, one query for the page.</summary>
    public async Task<List<JsonObject>> ToJsonAsync(IReadOnlyList<WorkspaceGroup> page, AttributeSelection selection, CancellationToken ct)
    {
        var members = selection.Includes(MembersAttribute) ? await GroupMapper.LoadMembersAsync(db, page.Select(g => g.Id).ToList(), ct) : null;
        return [.. page.Select(g => selection.Apply(GroupMapper.ToJson(g, members?[g.Id].ToList(), tenant.BaseUrl)))];
    }

    /// <summary>The group and its members from one snapshot (the ETag matches the members sent), to be streamed.</summary>
    public async Task<(WorkspaceGroup Entity, GroupReader.Read? Rows)?> ReadAsync(Guid id, AttributeSelection selection, CancellationToken ct)
    {
        var read = await reader.BeginAsync(ct);
        try
        {
            if (await read.GroupAsync(tenant.WorkspaceId, id, ct) is { } group)
            {
                return (group, read);
            }
        }
        catch
        {
            await read.DisposeAsync();
            throw;
        }

        await read.DisposeAsync();
        return null;
    }

    public ValueTask ReleaseAsync(GroupReader.Read? rows) => rows?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>Streams one group; <paramref name="rows"/> (owned by the result) supplies its members, or null for none.</summary>
    public IResult Render(WorkspaceGroup entity, GroupReader.Read? rows, AttributeSelection selection, int status)
    {
        var location = status == StatusCodes.Status201Created ? ResourceMeta.Location(tenant.BaseUrl, Type.Endpoint, entity.Id) : null;
        return ScimResult.Streamed(
            (writer, pipe, ct) => GroupJsonWriter.WriteAsync(writer, pipe, entity, rows?.MembersAsync(entity.Id, ct), tenant.BaseUrl, selection, ct),
            entity.Version, rows, status, location);
    }

    /// <summary>
    /// The answer to a write: the group as committed, its members (when returned) streamed from a snapshot read after
    /// the commit, with the committed row from that snapshot so the ETag matches them.
    /// </summary>
    public async Task<IResult> AnswerAsync(WorkspaceGroup written, AttributeSelection selection, int status, CancellationToken ct)
    {
        if (!selection.Includes(MembersAttribute))
        {
            return Render(written, null, selection, status);
        }

        var read = await reader.BeginAsync(ct);
        try
        {
            var committed = await read.GroupAsync(tenant.WorkspaceId, written.Id, ct) ?? written;
            return Render(committed, read, selection, status);
        }
        catch
        {
            await read.DisposeAsync();
            throw;
        }
    }

    public JsonObject Representation(WorkspaceGroup entity) => GroupMapper.ToJson(entity, null, tenant.BaseUrl);

    /// <summary>The group and its members inserted with prepared statements in one write transaction (a duplicate displayName is 409).</summary>
    public async Task<(WorkspaceGroup Entity, MembershipChange? Members)> CreateAsync(JsonObject body, Action<WorkspaceGroup> named, CancellationToken ct)
    {
        var group = new WorkspaceGroup { WorkspaceId = tenant.WorkspaceId, DisplayName = "" };
        GroupMapper.Write(body, group);
        named(group);
        await using var create = await writer.BeginAsync(ct);
        await writer.CheckUniqueAsync(create, group, UniquenessDetail(group), ct);
        var now = writer.Now();
        await writer.InsertAsync(create, group, now, UniquenessDetail(group), ct);
        var members = writer.Begin(create, group, now);
        await members.ApplyAsync(MemberDeltas(body, MemberDeltaKind.Add), ct);
        await members.InsertPendingAsync(ct);
        await create.CommitAsync(ct);
        return (group, members.Story());
    }

    public async Task<IUpdateTransaction> BeginUpdateAsync(CancellationToken ct)
    {
        update = await writer.BeginAsync(ct);
        return update;
    }

    /// <summary>Without members, in the update's transaction (PostgreSQL: the row locked by the load).</summary>
    public Task<WorkspaceGroup?> LoadForUpdateAsync(Guid id, AttributeSelection selection, CancellationToken ct) =>
        writer.LoadAsync(update ?? throw new InvalidOperationException("LoadForUpdateAsync runs in the transaction of BeginUpdateAsync."), tenant.WorkspaceId, id, ct);

    /// <summary>
    /// Writes the columns and applies the membership deltas (a PUT's are its members list: replace), in the update's
    /// transaction. A membership change is part of the group: its version (ETag) and lastModified change too.
    /// </summary>
    public async Task<WriteOutcome> UpdateAsync(WorkspaceGroup entity, JsonObject result, IReadOnlyList<MemberDelta>? deltas, Action<WorkspaceGroup> named, CancellationToken ct)
    {
        var open = update ?? throw new InvalidOperationException("UpdateAsync runs in the transaction of BeginUpdateAsync.");
        deltas ??= MemberDeltas(result, MemberDeltaKind.Replace);
        var loadedVersion = entity.Version;
        var displayNameBefore = entity.DisplayName;
        var externalIdBefore = entity.ExternalId;
        GroupMapper.Write(result, entity);
        named(entity);
        if (AuditStampInterceptor.Normalize(entity.DisplayName) != AuditStampInterceptor.Normalize(displayNameBefore))
        {
            // Only a new name can clash (a membership PATCH keeps it).
            await writer.CheckUniqueAsync(open, entity, UniquenessDetail(entity), ct);
        }

        var now = writer.Now();
        var members = writer.Begin(open, entity, now);
        await members.ApplyAsync(deltas, ct);
        var renamed = !string.Equals(entity.DisplayName, displayNameBefore, StringComparison.Ordinal);
        if (renamed)
        {
            // Its users show its name (groups[].display): their ETag changes with it. Only on a rename, so a
            // membership PATCH does not run this.
            await members.BumpMembersAsync(ct);
        }

        await members.InsertPendingAsync(ct);
        var columnsChanged = renamed || !string.Equals(entity.ExternalId, externalIdBefore, StringComparison.Ordinal);
        if (members.Changed || columnsChanged)
        {
            await writer.UpdateAsync(open, entity, loadedVersion, now, UniquenessDetail(entity), ct);
        }

        return new WriteOutcome(members.Changed && !columnsChanged ? ProvisioningOperation.MembershipChange : ProvisioningOperation.Update, members.Story());
    }

    public async Task<(long Version, string Subject)?> FindForDeleteAsync(Guid id, CancellationToken ct)
    {
        var ws = tenant.WorkspaceId;
        var found = await db.Groups.Where(g => g.WorkspaceId == ws && g.Id == id).Select(g => new { g.Version, g.DisplayName }).SingleOrDefaultAsync(ct);
        return found is null ? null : (found.Version, found.DisplayName);
    }

    /// <summary>Groups it was a member of change (their versions are bumped); its users lose it from their groups.</summary>
    public async Task<string?> DeleteAsync(Guid id, CancellationToken ct)
    {
        var ws = tenant.WorkspaceId;
        var now = time.GetUtcNow().UtcDateTime;
        await db.Groups.Where(g => g.WorkspaceId == ws && db.GroupMemberships.Any(gm => gm.GroupId == g.Id && gm.MemberId == id))
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.Version, g => g.Version + 1).SetProperty(g => g.LastModified, now), ct);
        // Its users lose it from their groups: their Version (ETag) and LastModified, found by primary key from its rows.
        await db.Members.Where(m => db.GroupMemberships.Where(gm => gm.GroupId == id).Select(gm => gm.MemberId).Contains(m.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Version, m => m.Version + 1).SetProperty(m => m.LastModified, now), ct);
        var memberships = await db.GroupMemberships.Where(gm => gm.WorkspaceId == ws && (gm.GroupId == id || gm.MemberId == id)).ExecuteDeleteAsync(ct);
        await db.Groups.Where(g => g.WorkspaceId == ws && g.Id == id).ExecuteDeleteAsync(ct);
        return memberships == 0 ? null : $"{memberships} membership(s) ended";
    }

    private static IReadOnlyList<MemberDelta> MemberDeltas(JsonObject body, MemberDeltaKind kind)
    {
        var ids = (body[MembersAttribute.Name] as JsonArray ?? []).OfType<JsonObject>()
            .Select(m => m["value"] is JsonValue v ? v.GetValue<string>() : throw ScimException.InvalidValue("Each member needs a 'value'."))
            .ToList();
        return kind == MemberDeltaKind.Replace && ids.Count == 0 ? [new MemberDelta(MemberDeltaKind.RemoveAll, [])] : [new MemberDelta(kind, ids)];
    }

    private static string UniquenessDetail(WorkspaceGroup group) => $"A group with displayName '{group.DisplayName}' already exists in this workspace.";
}
