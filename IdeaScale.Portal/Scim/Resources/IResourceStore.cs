using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Patching;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Resources;

/// <summary>
/// The per-resource seam of <see cref="ResourceEndpoints"/>: what a resource type (User, Group) does that the other
/// does not (its query root, how it loads one resource for update, writes it, renders it, and deletes it). Everything
/// the protocol says the same way for every resource (list and .search, ETag, If-Match and 412, the retry on a
/// concurrency conflict, the 204 rule of PATCH, the provisioning log's story, errors) lives once in
/// <see cref="ResourceEndpoints"/>. Two implementations: <c>UserResource</c> and <c>GroupResource</c>, scoped
/// (each gets the request's DbContext, reader and tenant by injection).
/// </summary>
/// <typeparam name="TEntity">The stored resource.</typeparam>
/// <typeparam name="TRows">What a read of one resource holds besides the entity (a user's rows; a group's open member read).</typeparam>
public interface IResourceStore<TEntity, TRows>
    where TEntity : class, IScimResource
{
    ScimResourceType Type { get; }

    /// <summary>How the provisioning log's stories name the kind ("user", "group").</summary>
    string Kind { get; }

    /// <summary>The unique attribute that names a resource (userName, displayName): the log's subject and a 409's value.</summary>
    string NameAttribute { get; }

    /// <summary>The resource's name (its <see cref="NameAttribute"/>).</summary>
    string Subject(TEntity entity);

    /// <summary>Whether PATCH answers 204 unless a representation is asked for (groups), or 200 unless nothing is (users).</summary>
    bool PatchAnswersNoContent { get; }

    /// <summary>The query root: the tenant's resources, the filter translated to SQL.</summary>
    IQueryable<TEntity> Query(string? filter);

    /// <summary>A page answered without the general query (the users' userName lookup), or null.</summary>
    Task<(int Total, List<TEntity> Page)?> LookupAsync(ListQuery query, AttributeSelection selection, CancellationToken ct);

    /// <summary>Renders a list page (the resources' rows loaded or streamed as the type needs).</summary>
    Task<IResult> RenderListAsync(ResourcePage<TEntity> page, AttributeSelection selection, CancellationToken ct);

    /// <summary>A page as JSON resources (POST /.search at the root mixes types).</summary>
    Task<List<JsonObject>> ToJsonAsync(IReadOnlyList<TEntity> page, AttributeSelection selection, CancellationToken ct);

    /// <summary>One resource for GET, with what rendering it needs; null when it does not exist.</summary>
    Task<(TEntity Entity, TRows Rows)?> ReadAsync(Guid id, AttributeSelection selection, CancellationToken ct);

    /// <summary>Releases what <see cref="ReadAsync"/> holds when it is not rendered (304).</summary>
    ValueTask ReleaseAsync(TRows rows);

    IResult Render(TEntity entity, TRows rows, AttributeSelection selection, int status);

    /// <summary>The answer to a write (201 or 200): the resource as committed.</summary>
    Task<IResult> AnswerAsync(TEntity written, AttributeSelection selection, int status, CancellationToken ct);

    /// <summary>The resource as written, without rows read elsewhere: the story's before and after.</summary>
    JsonObject Representation(TEntity entity);

    /// <summary>
    /// Writes a new resource from a canonical body and saves it (a duplicate is 409 uniqueness), inside the caller's
    /// transaction; <paramref name="named"/> is called once the resource has its name, before anything can collide.
    /// </summary>
    Task<(TEntity Entity, MembershipChange? Members)> CreateAsync(JsonObject body, Action<TEntity> named, CancellationToken ct);

    /// <summary>
    /// Begins the transaction of one PUT or PATCH, before the load: on SQLite it takes the database's write lock
    /// (BEGIN IMMEDIATE); on PostgreSQL the load takes the resource's row lock in it.
    /// </summary>
    Task<IUpdateTransaction> BeginUpdateAsync(CancellationToken ct);

    /// <summary>
    /// Locks (where the database needs it) and loads the resource to change, inside the transaction of
    /// <see cref="BeginUpdateAsync"/>, with what the answer's <paramref name="selection"/> shows that the write does not change.
    /// </summary>
    Task<TEntity?> LoadForUpdateAsync(Guid id, AttributeSelection selection, CancellationToken ct);

    /// <summary>
    /// Writes <paramref name="result"/> onto the loaded resource and saves once. <paramref name="deltas"/> are a
    /// PATCH's membership changes; null for a PUT (the body says everything).
    /// </summary>
    Task<WriteOutcome> UpdateAsync(TEntity entity, JsonObject result, IReadOnlyList<MemberDelta>? deltas, Action<TEntity> named, CancellationToken ct);

    /// <summary>The version and name of a resource about to be deleted, or null when it does not exist.</summary>
    Task<(long Version, string Subject)?> FindForDeleteAsync(Guid id, CancellationToken ct);

    /// <summary>Deletes the resource and what refers to it, inside the caller's transaction; returns the story's consequence.</summary>
    Task<string?> DeleteAsync(Guid id, CancellationToken ct);
}

/// <summary>The transaction of one update: committed once; disposed uncommitted, it is rolled back (nothing written).</summary>
public interface IUpdateTransaction : IAsyncDisposable
{
    Task CommitAsync(CancellationToken ct);
}

/// <summary>A list page: the total, the startIndex (null with cursor paging), the resources, and the next cursor.</summary>
public sealed record ResourcePage<TEntity>(int Total, int? StartIndex, List<TEntity> Resources, string? NextCursor);

/// <summary>What an update was (the log's operation) and the membership it changed (groups).</summary>
public sealed record WriteOutcome(ProvisioningOperation Operation, MembershipChange? Members = null);
