using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Paging;
using IdeaScale.Portal.Scim.Patching;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Tenancy;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Resources;

/// <summary>
/// The one SCIM endpoint implementation of /Users and /Groups (RFC 7644 §3): list, .search, get, create, replace,
/// patch, delete. What the protocol says the same way for every resource is here once: the order in which a request
/// is checked (body, id, attributes, existence, If-None-Match / If-Match), ETags and 412, the transaction around
/// load and save with the retry on a lost concurrency check, the 204 rule of PATCH, the provisioning log's story,
/// and errors. What differs per resource comes through <see cref="IResourceStore{TEntity, TRows}"/>.
/// </summary>
public static class ResourceEndpoints
{
    private const int MaxConcurrencyRetries = 3;

    /// <summary>Maps the seven routes of one resource type under <paramref name="path"/> (e.g. "/Users").</summary>
    public static RouteGroupBuilder MapScimResource<TEntity, TRows>(this RouteGroupBuilder scim, string path)
        where TEntity : class, IScimResource
    {
        var resources = scim.MapGroup(path);
        resources.MapGet("", ListAsync<TEntity, TRows>);
        resources.MapPost("/.search", SearchAsync<TEntity, TRows>);
        resources.MapGet("/{id}", GetAsync<TEntity, TRows>);
        resources.MapPost("", CreateAsync<TEntity, TRows>);
        resources.MapPut("/{id}", ReplaceAsync<TEntity, TRows>);
        resources.MapPatch("/{id}", PatchAsync<TEntity, TRows>);
        resources.MapDelete("/{id}", DeleteAsync<TEntity, TRows>);
        return scim;
    }

    private static Task<IResult> ListAsync<TEntity, TRows>(
        HttpContext context, IResourceStore<TEntity, TRows> store, IndexPaging paging, ScimCursors cursors, ScimTenant tenant, IConfiguration configuration)
        where TEntity : class, IScimResource =>
        ListPageAsync(ScimRequest.FromQuery(context.Request.Query, ScimRequest.MaxResults(configuration)), store, paging, cursors, tenant, context.RequestAborted);

    private static async Task<IResult> SearchAsync<TEntity, TRows>(
        HttpContext context, IResourceStore<TEntity, TRows> store, IndexPaging paging, ScimCursors cursors, ScimTenant tenant, IConfiguration configuration)
        where TEntity : class, IScimResource
    {
        var search = await ScimRequest.ReadAsync<SearchRequest>(context.Request);
        return await ListPageAsync(ScimRequest.FromSearch(search, ScimRequest.MaxResults(configuration)), store, paging, cursors, tenant, context.RequestAborted);
    }

    /// <summary>The page is read (and the filter, sort and selection checked) before anything is written; the store renders it.</summary>
    private static async Task<IResult> ListPageAsync<TEntity, TRows>(
        ListQuery query, IResourceStore<TEntity, TRows> store, IndexPaging paging, ScimCursors cursors, ScimTenant tenant, CancellationToken ct)
        where TEntity : class, IScimResource
    {
        var selection = AttributeSelection.Parse(store.Type, query.Attributes, query.ExcludedAttributes);
        var page = await PageAsync(query, selection, store, paging, cursors, tenant, ct);
        return await store.RenderListAsync(page, selection, ct);
    }

    /// <summary>The page as JSON resources (POST /.search at the root mixes users and groups).</summary>
    public static async Task<(int Total, List<JsonObject> Resources)> QueryAsync<TEntity, TRows>(
        ListQuery query, IResourceStore<TEntity, TRows> store, IndexPaging paging, ScimCursors cursors, ScimTenant tenant, CancellationToken ct)
        where TEntity : class, IScimResource
    {
        var selection = AttributeSelection.Parse(store.Type, query.Attributes, query.ExcludedAttributes);
        var page = await PageAsync(query, selection, store, paging, cursors, tenant, ct);
        return (page.Total, await store.ToJsonAsync(page.Resources, selection, ct));
    }

    /// <summary>Filters, orders, pages and (when the page is full) counts in the database: index paging, or RFC 9865 cursors.</summary>
    private static async Task<ResourcePage<TEntity>> PageAsync<TEntity, TRows>(
        ListQuery query, AttributeSelection selection, IResourceStore<TEntity, TRows> store, IndexPaging paging, ScimCursors cursors, ScimTenant tenant, CancellationToken ct)
        where TEntity : class, IScimResource
    {
        if (await store.LookupAsync(query, selection, ct) is { } found)
        {
            return new(found.Total, query.StartIndex, found.Page, null);
        }

        var filtered = store.Query(query.Filter);
        if (query.Cursor is null)
        {
            var (total, page) = await paging.PageAsync(filtered, store.Type, query, tenant.WorkspaceId, ct);
            return new(total, query.StartIndex, page, null);
        }

        var (cursorTotal, cursorPage, next) = await cursors.PageAsync(filtered, store.Type, query, tenant.WorkspaceId, ct);
        return new(cursorTotal, null, cursorPage, next);
    }

    /// <summary>The id, the selection, existence and If-None-Match are settled before the resource is rendered.</summary>
    private static async Task<IResult> GetAsync<TEntity, TRows>(string id, HttpContext context, IResourceStore<TEntity, TRows> store)
        where TEntity : class, IScimResource
    {
        var ct = context.RequestAborted;
        var resourceId = ScimQueries.ParseId(id, store.Type.Name);
        var selection = Selection(store.Type, context.Request.Query);
        var (entity, rows) = await store.ReadAsync(resourceId, selection, ct) ?? throw NotFound(store.Type, id);
        if (context.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } ifNoneMatch && ETags.Matches(ifNoneMatch, entity.Version))
        {
            await store.ReleaseAsync(rows);
            return ScimResult.NotModified(entity.Version);
        }

        return store.Render(entity, rows, selection, StatusCodes.Status200OK);
    }

    /// <summary>No uniqueness pre-check is needed for correctness: a unique index turns a concurrent duplicate into 409.</summary>
    private static async Task<IResult> CreateAsync<TEntity, TRows>(HttpContext context, IResourceStore<TEntity, TRows> store, ScimRequestLog log)
        where TEntity : class, IScimResource
    {
        var ct = context.RequestAborted;
        var type = store.Type;
        _ = Selection(type, context.Request.Query); // a bad attributes parameter fails before anything is written
        var body = ScimValues.Canonicalize(await ScimRequest.ReadObjectAsync(context.Request), type);
        var (entity, members) = await store.CreateAsync(body, e => log.Touch(type.Name, null, store.Subject(e), store.NameAttribute), ct);
        var changes = ResourceDiff.Compare(type, null, store.Representation(entity)).Concat(ResourceDiff.SecretsIn(type, body)).ToList();
        var subject = store.Subject(entity);
        log.Record(ProvisioningOperation.Create, type.Name, entity.Id.ToString(), subject,
            ProvisioningStory.Created(store.Kind, subject, changes, members), Details(changes, members));
        return await store.AnswerAsync(entity, Selection(type, context.Request.Query), StatusCodes.Status201Created, ct);
    }

    private static async Task<IResult> ReplaceAsync<TEntity, TRows>(
        string id, HttpContext context, IResourceStore<TEntity, TRows> store, ScimRequestLog log)
        where TEntity : class, IScimResource
    {
        var body = ScimValues.Canonicalize(await ScimRequest.ReadObjectAsync(context.Request), store.Type);
        return await UpdateAsync(id, context, store, log, (_, _) => ((JsonObject)body.DeepClone(), null));
    }

    private static async Task<IResult> PatchAsync<TEntity, TRows>(
        string id, HttpContext context, IResourceStore<TEntity, TRows> store, ScimRequestLog log)
        where TEntity : class, IScimResource
    {
        var request = await ScimRequest.ReadAsync<PatchRequest>(context.Request);
        var engine = new PatchEngine(store.Type);
        return await UpdateAsync(id, context, store, log,
            (current, entity) => (current, engine.Apply(current, entity.Id.ToString(), request.Operations).MemberDeltas));
    }

    /// <summary>
    /// Load, apply, write back, save once, in one transaction that starts before the load (SQLite: BEGIN IMMEDIATE
    /// takes the write lock; PostgreSQL: the resource's row lock, taken first by the store), so concurrent PUTs and
    /// PATCHes of one resource, on any instance, queue instead of failing the version check. A lost check is retried
    /// from a fresh load; see <see cref="ETags.ConcurrentChange"/> for the rule.
    /// </summary>
    private static async Task<IResult> UpdateAsync<TEntity, TRows>(
        string id, HttpContext context, IResourceStore<TEntity, TRows> store, ScimRequestLog log,
        Func<JsonObject, TEntity, (JsonObject Result, IReadOnlyList<MemberDelta>? Deltas)> change)
        where TEntity : class, IScimResource
    {
        var ct = context.RequestAborted;
        var type = store.Type;
        var resourceId = ScimQueries.ParseId(id, type.Name);
        var selection = Selection(type, context.Request.Query); // a bad attributes parameter fails before anything is written
        for (var attempt = 0; ; attempt++)
        {
            await using var transaction = await store.BeginUpdateAsync(ct);
            var entity = await store.LoadForUpdateAsync(resourceId, selection, ct) ?? throw NotFound(type, id);
            ETags.CheckIfMatch(context.Request, entity.Version);
            var current = store.Representation(entity);
            // The story's "before", from what is loaded anyway (PATCH changes current in place).
            var before = (JsonObject)current.DeepClone();
            var (result, deltas) = change(current, entity);
            WriteOutcome outcome;
            try
            {
                outcome = await store.UpdateAsync(entity, result, deltas, e => log.Touch(type.Name, e.Id.ToString(), store.Subject(e), store.NameAttribute), ct);
                await transaction.CommitAsync(ct);
            }
            catch (DbUpdateConcurrencyException) when (!ETags.HasIfMatch(context.Request) && attempt < MaxConcurrencyRetries)
            {
                continue; // the transaction, disposed uncommitted, rolls back and forgets what it loaded
            }
            catch (DbUpdateConcurrencyException)
            {
                throw ETags.ConcurrentChange(context.Request);
            }

            var changes = ResourceDiff.Compare(type, before, store.Representation(entity)).Concat(ResourceDiff.SecretsIn(type, result)).ToList();
            var verb = outcome.Operation switch
            {
                ProvisioningOperation.Deactivate => "deactivated",
                ProvisioningOperation.Reactivate => "reactivated",
                _ => context.Request.Method == HttpMethods.Put ? "replaced" : "updated",
            };
            var subject = store.Subject(entity);
            log.Record(outcome.Operation, type.Name, entity.Id.ToString(), subject,
                ProvisioningStory.Updated(verb, store.Kind, subject, changes, outcome.Members), Details(changes, outcome.Members));
            if (context.Request.Method == HttpMethods.Patch && AnswersNoContent(type, context.Request.Query, store.PatchAnswersNoContent))
            {
                return ScimResult.NoContent(ETags.For(entity.Version));
            }

            return await store.AnswerAsync(entity, selection, StatusCodes.Status200OK, ct);
        }
    }

    private static async Task<IResult> DeleteAsync<TEntity, TRows>(
        string id, HttpContext context, PortalDbContext db, IResourceStore<TEntity, TRows> store, ScimRequestLog log)
        where TEntity : class, IScimResource
    {
        var ct = context.RequestAborted;
        var type = store.Type;
        var resourceId = ScimQueries.ParseId(id, type.Name);
        // The name comes with the version (one query): the log names the deleted resource.
        var (version, subject) = await store.FindForDeleteAsync(resourceId, ct) ?? throw NotFound(type, id);
        ETags.CheckIfMatch(context.Request, version);
        log.Touch(type.Name, id, subject);

        string? consequence;
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            consequence = await store.DeleteAsync(resourceId, ct);
            await transaction.CommitAsync(ct);
        }

        log.Record(ProvisioningOperation.Delete, type.Name, id, subject, ProvisioningStory.Deleted(store.Kind, subject, consequence), null);
        return ScimResult.NoContent();
    }

    /// <summary>
    /// The 204 rule of PATCH (RFC 7644 §3.5.2 allows 200 with the resource or 204). <c>?attributes=</c> naming nothing
    /// asks for nothing: 204 for every resource. A group's PATCH answers 204 with the new ETag unless the request asks
    /// for a representation with <c>attributes</c> or <c>excludedAttributes</c>, which it then gets (200, exactly that
    /// representation): Entra and Okta send membership PATCHes without a query string and their documented examples
    /// answer 204, so the answer's size must not grow with the group. A user's PATCH otherwise answers 200 with the user.
    /// </summary>
    internal static bool AnswersNoContent(ScimResourceType type, IQueryCollection query, bool byDefault)
    {
        var attributes = query.ContainsKey(AttributeSelection.AttributesParameter);
        var requestsNothing = attributes && Selection(type, query).RequestsNothing;
        return byDefault
            ? !query.ContainsKey(AttributeSelection.ExcludedAttributesParameter) && (!attributes || requestsNothing)
            : requestsNothing;
    }

    private static AttributeSelection Selection(ScimResourceType type, IQueryCollection query) =>
        AttributeSelection.Parse(type, query.TryGetValue(AttributeSelection.AttributesParameter, out var a) ? a.ToString() : null,
            query.TryGetValue(AttributeSelection.ExcludedAttributesParameter, out var e) ? e.ToString() : null);

    private static ProvisioningDetails Details(IReadOnlyList<AttributeChange> changes, MembershipChange? members) =>
        new() { Changes = changes, Members = members is null || members.IsEmpty ? null : members };

    private static ScimException NotFound(ScimResourceType type, string id) => ScimException.NotFound($"{type.Name} '{ScimError.Excerpt(id)}' was not found.");
}
