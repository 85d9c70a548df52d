using System.Collections.Concurrent;

using IdeaScale.Portal.Data.AccessChanges;
using IdeaScale.Portal.Observability;
using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Scim.Tenancy;

using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Credentials;

/// <summary>A credential as authentication needs it: never the token, only its hash.</summary>
public sealed record ScimCredentialFacts(Guid Id, Guid WorkspaceId, string TokenHash, DateTime? ExpiresAt);

/// <summary>
/// An OAuth client as SCIM authentication needs it: its workspace, its live secrets with their expiry, and the current
/// version of its federation settings (null without federation).
/// </summary>
public sealed record ScimOAuthClientFacts(Guid Id, Guid WorkspaceId, IReadOnlyDictionary<Guid, DateTime> SecretExpiries, Guid? FederationId = null);

/// <summary>
/// Keeps what SCIM authentication and gating read from the database (credential by token hash, workspace facts
/// by workspace and host) in memory, so an IdP's request costs no query before its handler runs (issue 6: those
/// queries were a third of a GET /Users/{id}).
/// <para>
/// Correctness over speed: every committed change to a credential, the SCIM settings, the SSO configuration or a
/// workspace, on any app instance sharing the database, clears the cache before the next request is authenticated:
/// those tables are marked as guarding access in the EF model, a commit that writes them bumps the database's access
/// version (<see cref="AccessChangeInterceptor"/>), and <see cref="ScimTokenHandler"/> checks that version on every
/// request (<see cref="AccessVersion.EnsureCurrentAsync"/>); this cache listens to <see cref="AccessVersion.Changed"/>.
/// A load that raced with such a change is not kept (<see cref="generation"/>). Entries also expire after
/// <see cref="ScimAccessOptions.AccessCacheSeconds"/>, which only bounds writes made outside the app (by hand in
/// SQL); a credential's grace expiry is checked on every use.
/// </para>
/// Unknown tokens are never cached, so guessing cannot fill memory. Hits, misses and clears are counted in
/// <see cref="ScimMetrics"/>.
/// </summary>
public sealed class ScimAccessCache
{
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry<ScimCredentialFacts>> credentials = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(Guid WorkspaceId, string Host), Entry<ScimWorkspaceFacts?>> workspaces = new();
    private readonly ConcurrentDictionary<Guid, Entry<ScimOAuthClientFacts>> oauthClients = new();
    private readonly TimeProvider time;
    private readonly TimeSpan lifetime;
    private readonly ScimMetrics metrics;
    private long generation;

    public ScimAccessCache(TimeProvider time, IOptions<ScimAccessOptions> options, ScimMetrics metrics, AccessVersion version)
    {
        this.time = time;
        this.metrics = metrics;
        lifetime = TimeSpan.FromSeconds(Math.Max(0, options.Value.AccessCacheSeconds));
        version.Changed += Invalidate;
    }

    private sealed record Entry<T>(T Value, long Generation, long LoadedAt);

    /// <summary>Forgets everything; the next request of every token reads the database again.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref generation);
        credentials.Clear();
        workspaces.Clear();
        oauthClients.Clear();
        metrics.RecordCacheInvalidation();
    }

    /// <summary>
    /// The OAuth client an access token names, from memory or from <paramref name="load"/> (null for a deleted
    /// client; not kept). Deleting the client or one of its secrets clears the cache, so its tokens stop at once.
    /// </summary>
    public async Task<ScimOAuthClientFacts?> GetOAuthClientAsync(Guid clientId, Func<Task<ScimOAuthClientFacts?>> load)
    {
        if (TryGet(oauthClients, clientId, out var cached))
        {
            return cached;
        }

        var started = Volatile.Read(ref generation);
        var loaded = await load();
        if (loaded is not null)
        {
            Store(oauthClients, clientId, loaded, started);
        }

        return loaded;
    }

    /// <summary>
    /// The current or in-grace credential with this token hash, from memory or from <paramref name="load"/>
    /// (which returns null for an unknown or expired token; that answer is not kept).
    /// </summary>
    public async Task<ScimCredentialFacts?> GetCredentialAsync(string tokenHash, Func<Task<ScimCredentialFacts?>> load)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var hit = TryGet(credentials, tokenHash, out var cached);
        metrics.RecordCacheLookup("credential", hit);
        if (hit)
        {
            if (cached.ExpiresAt is not { } expires || expires > now)
            {
                return cached;
            }

            credentials.TryRemove(tokenHash, out _);
            return null;
        }

        var started = Volatile.Read(ref generation);
        var loaded = await load();
        if (loaded is not null)
        {
            Store(credentials, tokenHash, loaded, started);
        }

        return loaded;
    }

    /// <summary>The workspace facts for a request host, from memory or from <paramref name="load"/>.</summary>
    public async Task<ScimWorkspaceFacts?> GetWorkspaceAsync(Guid workspaceId, string host, Func<Task<ScimWorkspaceFacts?>> load)
    {
        var key = (workspaceId, host);
        var hit = TryGet(workspaces, key, out var cached);
        metrics.RecordCacheLookup("workspace", hit);
        if (hit)
        {
            return cached;
        }

        var started = Volatile.Read(ref generation);
        var loaded = await load();
        if (loaded is not null)
        {
            Store(workspaces, key, loaded, started);
        }

        return loaded;
    }

    private bool TryGet<TKey, T>(ConcurrentDictionary<TKey, Entry<T>> map, TKey key, out T value)
        where TKey : notnull
    {
        if (lifetime > TimeSpan.Zero && map.TryGetValue(key, out var entry)
            && entry.Generation == Volatile.Read(ref generation)
            && time.GetElapsedTime(entry.LoadedAt) < lifetime)
        {
            value = entry.Value;
            return true;
        }

        value = default!;
        return false;
    }

    private void Store<TKey, T>(ConcurrentDictionary<TKey, Entry<T>> map, TKey key, T value, long loadedInGeneration)
        where TKey : notnull
    {
        // A change committed while we were reading may not be in what we read: keep nothing then.
        if (lifetime <= TimeSpan.Zero || loadedInGeneration != Volatile.Read(ref generation))
        {
            return;
        }

        if (map.Count >= MaxEntries)
        {
            map.Clear();
        }

        map[key] = new Entry<T>(value, loadedInGeneration, time.GetTimestamp());
    }
}
