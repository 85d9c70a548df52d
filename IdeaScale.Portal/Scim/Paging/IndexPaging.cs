using System.Collections.Concurrent;

using IdeaScale.Portal.Scim.Filtering;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Paging;

/// <summary>
/// RFC 7644 §3.4.2.4 index paging (startIndex, count) that stays flat along an import walk. An IdP importing the
/// directory (Okta: <c>startIndex=1,101,201,…</c>) asks, in order, for the page that follows the one it just got;
/// with OFFSET every page re-reads all the rows before it, so a walk over N users reads ~N²/(2·count) rows. Each full
/// page served therefore remembers, for its workspace and query (resource type, filter, sortBy, sortOrder), the sort
/// keys of its last row and the offset it ended at; a request whose startIndex follows such a page is answered as a
/// keyset seek (the rows after that key in the list order, <see cref="ScimCursors.After{T}"/>), which costs the same at
/// any depth. Any other startIndex, an entry evicted or older than <see cref="EntryLifetime"/>, or another instance
/// answering, falls back to OFFSET: the result is the same rows when nothing changed between the two requests.
/// When users are inserted or deleted between the pages, a seek returns no row twice and skips none of those that
/// existed throughout, where OFFSET would repeat or skip one per change before the position; RFC 7644 promises
/// neither under concurrent changes.
/// totalResults: the page reads one row more than it returns, so the last page knows its total exactly
/// (startIndex - 1 + its size) and counts nothing. A full page counts the matches, except on a seek within
/// <see cref="TotalLifetime"/> of the walk's last count, which reports that count (at least startIndex + count, as
/// there is a row beyond the page): a walk counts once per <see cref="TotalLifetime"/> instead of once per page.
/// Bounded: at most <see cref="Capacity"/> entries (a full table is emptied), each living <see cref="EntryLifetime"/>.
/// </summary>
public sealed class IndexPaging(TimeProvider time)
{
    public const int Capacity = 1024;
    public static readonly TimeSpan EntryLifetime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan TotalLifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(Guid Workspace, string Query, int EndOffset), Continuation> continuations = new();

    /// <summary>Where a full page ended: its last row's sort keys, the walk's last counted total and when it was counted.</summary>
    private sealed record Continuation(object?[] Keys, int Total, DateTimeOffset CountedAt, DateTimeOffset StoredAt);

    /// <summary>How many walks are remembered (tests and diagnostics).</summary>
    public int Count => continuations.Count;

    /// <summary>A page of the filtered list at startIndex/count in the list order, and the total number of matches.</summary>
    public async Task<(int Total, List<T> Page)> PageAsync<T>(IQueryable<T> filtered, ScimResourceType type, ListQuery query, Guid workspaceId, CancellationToken ct)
        where T : class
    {
        if (query.Count == 0)
        {
            return (await filtered.CountAsync(ct), []);
        }

        var now = time.GetUtcNow();
        var fingerprint = ScimCursors.Fingerprint(type, query);
        var keys = SortTranslator.Keys<T>(type, query.SortBy, query.SortOrder);
        var offset = query.StartIndex - 1;
        var from = offset > 0 && continuations.TryGetValue((workspaceId, fingerprint, offset), out var found) && now - found.StoredAt < EntryLifetime
            ? found
            : null;

        var ordered = SortTranslator.Apply(from is null ? filtered : filtered.Where(ScimCursors.After<T>(keys, from.Keys)), type, query.SortBy, query.SortOrder);
        var page = await (from is null ? ordered.Skip(offset) : ordered).Take(query.Count + 1).ToListAsync(ct);
        var more = page.Count > query.Count;
        if (more)
        {
            page.RemoveAt(page.Count - 1);
        }

        if (!more && (page.Count > 0 || offset == 0 || from is not null))
        {
            // The last page: everything matching is before it or on it.
            return (offset + page.Count, page);
        }

        int total;
        var countedAt = now;
        if (more && from is not null && now - from.CountedAt < TotalLifetime)
        {
            (total, countedAt) = (Math.Max(from.Total, offset + page.Count + 1), from.CountedAt);
        }
        else
        {
            total = await filtered.CountAsync(ct);
        }

        if (more)
        {
            var id = (Guid)ColumnAccess.Value(type.Common.Single(a => a.Name == "id"), page[^1])!;
            Remember((workspaceId, fingerprint, offset + page.Count),
                new Continuation(await ScimCursors.KeyValuesAsync(filtered, keys, type, id, ct), total, countedAt, now));
        }

        return (total, page);
    }

    private void Remember((Guid, string, int) key, Continuation continuation)
    {
        if (continuations.Count >= Capacity)
        {
            var now = time.GetUtcNow();
            foreach (var (k, v) in continuations)
            {
                if (now - v.StoredAt >= EntryLifetime)
                {
                    continuations.TryRemove(k, out _);
                }
            }

            if (continuations.Count >= Capacity)
            {
                continuations.Clear();
            }
        }

        continuations[key] = continuation;
    }
}
