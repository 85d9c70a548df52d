using System.Text.Json.Nodes;

using IdeaScale.Portal.Data.Interceptors;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Paging;
using IdeaScale.Portal.Scim.Patching;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Tenancy;
using IdeaScale.Portal.Scim.Users;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Groups;

/// <summary>/Groups: list, search, get, create, replace, patch, delete. Members are loaded only when returned.</summary>
public static class GroupEndpoints
{
    private const int MaxConcurrencyRetries = 3;
    private static ScimResourceType Type => ScimRegistry.GroupType;
    private static ScimAttribute MembersAttribute => Type.Core.Attributes.Single(a => a.Storage == Storage.MembersOfGroup);

    public static RouteGroupBuilder MapScimGroups(this RouteGroupBuilder scim)
    {
        var groups = scim.MapGroup("/Groups");
        groups.MapGet("", ListGroups);
        groups.MapPost("/.search", SearchGroups);
        groups.MapGet("/{id}", GetGroup);
        groups.MapPost("", CreateGroup);
        groups.MapPut("/{id}", ReplaceGroup);
        groups.MapPatch("/{id}", PatchGroup);
        groups.MapDelete("/{id}", DeleteGroup);
        return scim;
    }

    public static Task<IResult> ListGroups(HttpContext context, PortalDbContext db, GroupReader reader, ScimCursors cursors, IndexPaging paging, ScimTenant tenant, IConfiguration configuration) =>
        ListAsync(ScimRequest.FromQuery(context.Request.Query, ScimRequest.MaxResults(configuration)), db, reader, cursors, paging, tenant, context.RequestAborted);

    public static async Task<IResult> SearchGroups(HttpContext context, PortalDbContext db, GroupReader reader, ScimCursors cursors, IndexPaging paging, ScimTenant tenant, IConfiguration configuration)
    {
        var search = await ScimRequest.ReadAsync<SearchRequest>(context.Request);
        return await ListAsync(ScimRequest.FromSearch(search, ScimRequest.MaxResults(configuration)), db, reader, cursors, paging, tenant, context.RequestAborted);
    }

    /// <summary>
    /// The page is read (and the filter, sort and selection checked) before anything is written; the response is then
    /// streamed, each group's members read in batches by <see cref="GroupReader"/> (none when they are excluded).
    /// </summary>
    private static async Task<IResult> ListAsync(ListQuery query, PortalDbContext db, GroupReader reader, ScimCursors cursors, IndexPaging paging, ScimTenant tenant, CancellationToken ct)
    {
        var selection = AttributeSelection.Parse(Type, query.Attributes, query.ExcludedAttributes);
        string? next = null;
        int total;
        List<WorkspaceGroup> page;
        if (query.Cursor is null)
        {
            (total, page) = await PageAsync(query, db, paging, tenant, ct);
        }
        else
        {
            var filtered = ScimQueries.FilterGroups(db.Groups.AsNoTracking().Where(g => g.WorkspaceId == tenant.WorkspaceId), query.Filter, db);
            (total, page, next) = await cursors.PageAsync(filtered, Type, query, tenant.WorkspaceId, ct);
        }

        var read = selection.Includes(MembersAttribute) && page.Count > 0 ? await reader.BeginAsync(ct) : null;
        return ScimResult.Streamed(async (writer, pipe, token) =>
        {
            ScimResult.WriteListStart(writer, total, query.Cursor is null ? query.StartIndex : null, page.Count, next);
            foreach (var listed in page)
            {
                // The group as the members' snapshot has it (its version matches them); as listed if deleted since.
                var group = read is null ? listed : await read.GroupAsync(tenant.WorkspaceId, listed.Id, token) ?? listed;
                await GroupJsonWriter.WriteAsync(writer, pipe, group, read?.MembersAsync(group.Id, token), tenant.BaseUrl, selection, token);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }, null, read);
    }

    private static async Task<(int Total, List<WorkspaceGroup> Page)> PageAsync(ListQuery query, PortalDbContext db, IndexPaging paging, ScimTenant tenant, CancellationToken ct)
    {
        var filtered = ScimQueries.FilterGroups(db.Groups.AsNoTracking().Where(g => g.WorkspaceId == tenant.WorkspaceId), query.Filter, db);
        return await paging.PageAsync(filtered, Type, query, tenant.WorkspaceId, ct);
    }

    /// <summary>The page as JSON resources, members loaded whole (POST /.search at the root mixes them with users).</summary>
    public static async Task<(int Total, List<JsonObject> Resources)> QueryAsync(ListQuery query, PortalDbContext db, IndexPaging paging, ScimTenant tenant, CancellationToken ct)
    {
        var selection = AttributeSelection.Parse(Type, query.Attributes, query.ExcludedAttributes);
        var (total, page) = await PageAsync(query, db, paging, tenant, ct);
        var members = selection.Includes(MembersAttribute) ? await GroupMapper.LoadMembersAsync(db, page.Select(g => g.Id).ToList(), ct) : null;
        return (total, page.Select(g => selection.Apply(GroupMapper.ToJson(g, members?[g.Id].ToList(), tenant.BaseUrl))).ToList());
    }

    /// <summary>
    /// The id, the selection, existence and If-None-Match are settled before anything is written; the group and its
    /// members are then read from one snapshot (the ETag matches the members sent) and streamed.
    /// </summary>
    public static async Task<IResult> GetGroup(string id, HttpContext context, GroupReader reader, ScimTenant tenant)
    {
        var ct = context.RequestAborted;
        var groupId = ScimQueries.ParseId(id, Type.Name);
        var selection = Selection(context.Request.Query);
        var read = await reader.BeginAsync(ct);
        try
        {
            var group = await read.GroupAsync(tenant.WorkspaceId, groupId, ct) ?? throw NotFound(id);
            if (context.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } ifNoneMatch && ETags.Matches(ifNoneMatch, group.Version))
            {
                await read.DisposeAsync();
                return ScimResult.NotModified(group.Version);
            }

            return Stream(group, read, selection, tenant, StatusCodes.Status200OK);
        }
        catch
        {
            await read.DisposeAsync();
            throw;
        }
    }

    public static async Task<IResult> CreateGroup(HttpContext context, PortalDbContext db, GroupReader reader, ScimTenant tenant, ScimRequestLog log, TimeProvider time)
    {
        var ct = context.RequestAborted;
        _ = Selection(context.Request.Query); // a bad attributes parameter fails before anything is written
        var body = ScimValues.Canonicalize(await ScimRequest.ReadObjectAsync(context.Request), Type);
        var group = new WorkspaceGroup { WorkspaceId = tenant.WorkspaceId, DisplayName = "" };
        GroupMapper.Write(body, group);
        log.Touch(Type.Name, null, group.DisplayName, "displayName");
        await CheckUniqueAsync(db, group, ct);
        db.Groups.Add(group);
        var writer = new GroupMembershipWriter(db, time);
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await writer.ApplyAsync(group, MemberDeltas(body, MemberDeltaKind.Add), ct);
            await ScimQueries.SaveAsync(db, UniquenessDetail(group), ct);
            await transaction.CommitAsync(ct);
        }

        var changes = ResourceDiff.Compare(Type, null, GroupMapper.ToJson(group, null, tenant.BaseUrl));
        var members = writer.Story();
        log.Record(ProvisioningOperation.Create, Type.Name, group.Id.ToString(), group.DisplayName,
            ProvisioningStory.Created("group", group.DisplayName, changes, members), Details(changes, members));
        return await RespondAsync(group, context, reader, tenant, StatusCodes.Status201Created);
    }

    public static async Task<IResult> ReplaceGroup(string id, HttpContext context, PortalDbContext db, GroupReader reader, ScimTenant tenant, ScimRequestLog log, TimeProvider time)
    {
        var body = ScimValues.Canonicalize(await ScimRequest.ReadObjectAsync(context.Request), Type);
        return await UpdateAsync(id, context, db, reader, tenant, log, time,
            (_, _) => ((JsonObject)body.DeepClone(), MemberDeltas(body, MemberDeltaKind.Replace)));
    }

    public static async Task<IResult> PatchGroup(string id, HttpContext context, PortalDbContext db, GroupReader reader, ScimTenant tenant, ScimRequestLog log, TimeProvider time)
    {
        var request = await ScimRequest.ReadAsync<PatchRequest>(context.Request);
        var engine = new PatchEngine(Type);
        return await UpdateAsync(id, context, db, reader, tenant, log, time, (current, group) =>
        {
            var outcome = engine.Apply(current, group.Id.ToString(), request.Operations);
            return (current, outcome.MemberDeltas);
        });
    }

    /// <summary>
    /// Load (without members), apply, write columns, apply membership deltas in SQL, save once, in one transaction.
    /// The transaction starts before the load (SQLite: BEGIN IMMEDIATE takes the write lock; PostgreSQL: the group's row
    /// lock, taken first), so concurrent PATCHes of one group (an IdP pushing membership changes in parallel, on any
    /// instance) queue instead of failing the version check; see <see cref="ETags.ConcurrentChange"/> for what a lost
    /// check answers.
    /// </summary>
    private static async Task<IResult> UpdateAsync(
        string id, HttpContext context, PortalDbContext db, GroupReader reader, ScimTenant tenant, ScimRequestLog log, TimeProvider time,
        Func<JsonObject, WorkspaceGroup, (JsonObject Result, IReadOnlyList<MemberDelta> Deltas)> change)
    {
        var ct = context.RequestAborted;
        var groupId = ScimQueries.ParseId(id, Type.Name);
        _ = Selection(context.Request.Query); // a bad attributes parameter fails before anything is written
        for (var attempt = 0; ; attempt++)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await ScimQueries.LockForUpdateAsync<WorkspaceGroup>(db, groupId, ct);
            var group = await db.Groups.SingleOrDefaultAsync(g => g.WorkspaceId == tenant.WorkspaceId && g.Id == groupId, ct) ?? throw NotFound(id);
            ETags.CheckIfMatch(context.Request, group.Version);
            var current = GroupMapper.ToJson(group, null, tenant.BaseUrl);
            var before = (JsonObject)current.DeepClone();
            var (result, deltas) = change(current, group);
            var displayNameBefore = group.DisplayName;
            var normalizedBefore = AuditStampInterceptor.Normalize(displayNameBefore);
            GroupMapper.Write(result, group);
            log.Touch(Type.Name, group.Id.ToString(), group.DisplayName, "displayName");
            if (AuditStampInterceptor.Normalize(group.DisplayName) != normalizedBefore)
            {
                // Only a new name can clash (a membership PATCH keeps it).
                await CheckUniqueAsync(db, group, ct);
            }

            var writer = new GroupMembershipWriter(db, time);
            var onlyMembers = false;
            try
            {
                await writer.ApplyAsync(group, deltas, ct);
                if (!string.Equals(group.DisplayName, displayNameBefore, StringComparison.Ordinal))
                {
                    // Its users show its name (groups[].display): their ETag changes with it. Only on a rename, so a
                    // membership PATCH does not run this.
                    await BumpMembersAsync(db, group.Id, time, ct);
                }

                db.ChangeTracker.DetectChanges();
                onlyMembers = writer.Changed && !db.Entry(group).Properties.Any(p => p.IsModified);
                if (writer.Changed)
                {
                    // Membership is part of the group: its version (ETag) and lastModified change too.
                    db.Entry(group).Property(g => g.LastModified).IsModified = true;
                }

                await ScimQueries.SaveAsync(db, UniquenessDetail(group), ct);
                await transaction.CommitAsync(ct);
            }
            catch (DbUpdateConcurrencyException) when (!ETags.HasIfMatch(context.Request) && attempt < MaxConcurrencyRetries)
            {
                db.ChangeTracker.Clear();
                continue;
            }
            catch (DbUpdateConcurrencyException)
            {
                throw ETags.ConcurrentChange(context.Request);
            }

            var changes = ResourceDiff.Compare(Type, before, GroupMapper.ToJson(group, null, tenant.BaseUrl));
            var members = writer.Story();
            log.Record(onlyMembers ? ProvisioningOperation.MembershipChange : ProvisioningOperation.Update, Type.Name, group.Id.ToString(), group.DisplayName,
                ProvisioningStory.Updated(context.Request.Method == HttpMethods.Put ? "replaced" : "updated", "group", group.DisplayName, changes, members),
                Details(changes, members));
            if (context.Request.Method == HttpMethods.Patch && !AsksForRepresentation(context.Request.Query))
            {
                return ScimResult.NoContent(ETags.For(group.Version));
            }

            return await RespondAsync(group, context, reader, tenant, StatusCodes.Status200OK);
        }
    }

    public static async Task<IResult> DeleteGroup(string id, HttpContext context, PortalDbContext db, ScimTenant tenant, ScimRequestLog log, TimeProvider time)
    {
        var ct = context.RequestAborted;
        var groupId = ScimQueries.ParseId(id, Type.Name);
        var ws = tenant.WorkspaceId;
        var found = await db.Groups.Where(g => g.WorkspaceId == ws && g.Id == groupId).Select(g => new { g.Version, g.DisplayName }).SingleOrDefaultAsync(ct)
            ?? throw NotFound(id);
        ETags.CheckIfMatch(context.Request, found.Version);
        log.Touch(Type.Name, id, found.DisplayName);

        var now = time.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Groups.Where(g => g.WorkspaceId == ws && db.GroupMemberships.Any(gm => gm.GroupId == g.Id && gm.MemberId == groupId))
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.Version, g => g.Version + 1).SetProperty(g => g.LastModified, now), ct);

        // Its users lose it from their groups.
        await BumpMembersAsync(db, groupId, time, ct);
        var memberships = await db.GroupMemberships.Where(gm => gm.WorkspaceId == ws && (gm.GroupId == groupId || gm.MemberId == groupId)).ExecuteDeleteAsync(ct);
        await db.Groups.Where(g => g.WorkspaceId == ws && g.Id == groupId).ExecuteDeleteAsync(ct);
        await transaction.CommitAsync(ct);

        log.Record(ProvisioningOperation.Delete, Type.Name, id, found.DisplayName,
            ProvisioningStory.Deleted("group", found.DisplayName, memberships == 0 ? null : $"{memberships} membership(s) ended"), null);
        return ScimResult.NoContent();
    }

    /// <summary>
    /// The Version (ETag) and LastModified of the group's users, whose groups attribute shows it: one UPDATE that
    /// finds them by primary key from the group's membership rows, however many members, never loading the list.
    /// </summary>
    private static Task<int> BumpMembersAsync(PortalDbContext db, Guid groupId, TimeProvider time, CancellationToken ct) =>
        GroupMembershipWriter.BumpAsync(GroupMembershipWriter.UsersOf(db, groupId), time, ct);

    private static IReadOnlyList<MemberDelta> MemberDeltas(JsonObject body, MemberDeltaKind kind)
    {
        var ids = (body[MembersAttribute.Name] as JsonArray ?? []).OfType<JsonObject>()
            .Select(m => m["value"] is JsonValue v ? v.GetValue<string>() : throw ScimException.InvalidValue("Each member needs a 'value'."))
            .ToList();
        return kind == MemberDeltaKind.Replace && ids.Count == 0 ? [new MemberDelta(MemberDeltaKind.RemoveAll, [])] : [new MemberDelta(kind, ids)];
    }

    private static ProvisioningDetails Details(IReadOnlyList<AttributeChange> changes, MembershipChange members) =>
        new() { Changes = changes, Members = members.IsEmpty ? null : members };

    /// <summary>
    /// The answer to a write: the group as committed, its members (when returned) streamed from a snapshot read after
    /// the commit, with the committed row from that snapshot so the ETag matches them.
    /// </summary>
    private static async Task<IResult> RespondAsync(WorkspaceGroup group, HttpContext context, GroupReader reader, ScimTenant tenant, int status)
    {
        var selection = Selection(context.Request.Query);
        if (!selection.Includes(MembersAttribute))
        {
            return Stream(group, null, selection, tenant, status);
        }

        var read = await reader.BeginAsync(context.RequestAborted);
        try
        {
            var committed = await read.GroupAsync(tenant.WorkspaceId, group.Id, context.RequestAborted) ?? group;
            return Stream(committed, read, selection, tenant, status);
        }
        catch
        {
            await read.DisposeAsync();
            throw;
        }
    }

    /// <summary>Streams one group; <paramref name="read"/> (owned by the result) supplies its members, or null for none.</summary>
    private static ScimResult Stream(WorkspaceGroup group, GroupReader.Read? read, AttributeSelection selection, ScimTenant tenant, int status)
    {
        var location = status == StatusCodes.Status201Created ? ResourceMeta.Location(tenant.BaseUrl, Type.Endpoint, group.Id) : null;
        return ScimResult.Streamed(
            (writer, pipe, ct) => GroupJsonWriter.WriteAsync(writer, pipe, group, read?.MembersAsync(group.Id, ct), tenant.BaseUrl, selection, ct),
            group.Version, read, status, location);
    }

    /// <summary>
    /// The 204 rule of group PATCH (RFC 7644 §3.5.2 allows 200 with the resource or 204): the answer is 204 No Content
    /// with the new ETag, unless the request asks for a representation with <c>attributes</c> or
    /// <c>excludedAttributes</c>, which it then gets (200, exactly that representation). Entra and Okta send
    /// membership PATCHes without a query string and their documented examples answer 204: the answer's size must
    /// not grow with the group. <c>?attributes=</c> (naming nothing) asks for nothing: 204, as for users.
    /// </summary>
    internal static bool AsksForRepresentation(IQueryCollection query) =>
        query.ContainsKey(AttributeSelection.ExcludedAttributesParameter)
        || (query.ContainsKey(AttributeSelection.AttributesParameter) && !Selection(query).RequestsNothing);

    private static AttributeSelection Selection(IQueryCollection query) =>
        AttributeSelection.Parse(Type, query.TryGetValue(AttributeSelection.AttributesParameter, out var a) ? a.ToString() : null,
            query.TryGetValue(AttributeSelection.ExcludedAttributesParameter, out var e) ? e.ToString() : null);

    private static async Task CheckUniqueAsync(PortalDbContext db, WorkspaceGroup group, CancellationToken ct)
    {
        var normalized = AuditStampInterceptor.Normalize(group.DisplayName);
        if (await db.Groups.AnyAsync(g => g.WorkspaceId == group.WorkspaceId && g.NormalizedDisplayName == normalized && g.Id != group.Id, ct))
        {
            throw ScimException.Uniqueness(UniquenessDetail(group));
        }
    }

    private static string UniquenessDetail(WorkspaceGroup group) => $"A group with displayName '{group.DisplayName}' already exists in this workspace.";

    private static ScimException NotFound(string id) => ScimException.NotFound($"Group '{ScimError.Excerpt(id)}' was not found.");
}
