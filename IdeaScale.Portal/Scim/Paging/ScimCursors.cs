using System.Globalization;
using System.Linq.Expressions;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Filtering;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;

using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Paging;

/// <summary>
/// RFC 9865 cursor paging. A cursor is the sort keys of the last resource of a page (keyset: the next page is the
/// rows after it in the list order, so a page costs the same at any depth), bound to the workspace and the query
/// (resource type, filter, sortBy, sortOrder) and to when it was issued, encrypted and authenticated with Data
/// Protection (the key ring persisted in the database, shared by every instance): opaque, and any change to it fails
/// the authentication. A cursor that does not authenticate, or was issued for another workspace or query, is 400
/// invalidCursor; one older than <see cref="TimeoutSeconds"/> (by <see cref="TimeProvider"/>) is 400 expiredCursor.
/// The rows themselves are always read fresh: a resource inserted or changed before the position is not repeated,
/// none after it is skipped.
/// Cost per page does not grow with the directory: the page is an index range seek (the position's first key bounds
/// the scan, see <see cref="After{T}"/>), and totalResults is counted on the first page of a walk and then carried in
/// the cursor for <see cref="IndexPaging.TotalLifetime"/> (a walk counts once per that time, as the index walk does),
/// instead of a COUNT over every match on every page.
/// </summary>
public sealed class ScimCursors(IDataProtectionProvider protection, TimeProvider time, IConfiguration configuration)
{
    public const string TimeoutKey = "Scim:CursorTimeoutSeconds";
    public const int DefaultTimeoutSeconds = 3600;

    private readonly IDataProtector protector = protection.CreateProtector("IdeaScale.Portal.Scim.Paging.Cursor.v1");

    /// <summary>How long a cursor stays valid (ServiceProviderConfig pagination.cursorTimeout).</summary>
    public int TimeoutSeconds { get; } = configuration.GetValue(TimeoutKey, DefaultTimeoutSeconds) is var t && t > 0 ? t : DefaultTimeoutSeconds;

    /// <summary>
    /// The payload inside a cursor: workspace, query fingerprint, issue time, the position's key values, and the walk's
    /// last counted total with when it was counted (unix milliseconds).
    /// </summary>
    private sealed record Payload(Guid Workspace, string Query, long IssuedAt, IReadOnlyList<string?> Keys, IReadOnlyList<char> Kinds,
        int? Total = null, long? CountedAt = null);

    /// <summary>An opened cursor: the position and the walk's count, when still fresh.</summary>
    private sealed record Position(object?[] Keys, int? Total, long CountedAt);

    /// <summary>
    /// A page in cursor mode: the rows after the cursor's position (the first rows for an empty cursor), at most
    /// count, the total number of matches, and the cursor of the next page (null on the last page).
    /// </summary>
    public async Task<(int Total, List<T> Page, string? NextCursor)> PageAsync<T>(
        IQueryable<T> filtered, ScimResourceType type, ListQuery query, Guid workspaceId, CancellationToken ct)
        where T : class
    {
        var keys = SortTranslator.Keys<T>(type, query.SortBy, query.SortOrder);
        var fingerprint = Fingerprint(type, query);
        var after = query.Cursor is { Length: > 0 } cursor ? Open(cursor, workspaceId, fingerprint, keys) : null;
        var rows = after is null ? filtered : filtered.Where(After<T>(keys, after.Keys));
        var ordered = SortTranslator.Apply(rows, type, query.SortBy, query.SortOrder);
        var page = await ordered.Take(query.Count + 1).ToListAsync(ct);
        var more = page.Count > query.Count;
        if (more)
        {
            page.RemoveAt(page.Count - 1);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var (total, countedAt) = after is null && !more ? (page.Count, now)
            : after?.Total is { } carried && now - after.CountedAt < (long)IndexPaging.TotalLifetime.TotalMilliseconds ? (Math.Max(carried, page.Count), after.CountedAt)
            : (await filtered.CountAsync(ct), now);
        string? next = null;
        if (more)
        {
            var last = page[^1];
            var id = (Guid)ColumnAccess.Value(type.Common.Single(a => a.Name == "id"), last)!;
            next = Issue(workspaceId, fingerprint, await KeyValuesAsync(filtered, keys, type, id, ct), total, countedAt);
        }

        return (total, page, next);
    }

    /// <summary>The key values of one row, as the database computes them (a folded sort key included).</summary>
    internal static async Task<object?[]> KeyValuesAsync<T>(IQueryable<T> filtered, IReadOnlyList<(LambdaExpression Key, bool Descending)> keys,
        ScimResourceType type, Guid id, CancellationToken ct)
    {
        var row = Expression.Parameter(typeof(T), "row");
        var idColumn = type.Common.Single(a => a.Name == "id").Column!;
        var byId = Expression.Lambda<Func<T, bool>>(Expression.Equal(Rebind(idColumn, row), Parameter(typeof(Guid), id)), row);
        var values = Expression.NewArrayInit(typeof(object), keys.Select(k => Expression.Convert(Rebind(k.Key, row), typeof(object))));
        var select = Expression.Lambda<Func<T, object?[]>>(values, row);
        return await filtered.Where(byId).Select(select).SingleAsync(ct);
    }

    private string Issue(Guid workspaceId, string fingerprint, object?[] values, int total, long countedAt)
    {
        var kinds = values.Select(Kind).ToList();
        var payload = new Payload(workspaceId, fingerprint, time.GetUtcNow().ToUnixTimeSeconds(), [.. values.Select(Text)], kinds, total, countedAt);
        return protector.Protect(JsonSerializer.Serialize(payload));
    }

    private Position Open(string cursor, Guid workspaceId, string fingerprint, IReadOnlyList<(LambdaExpression Key, bool Descending)> keys)
    {
        Payload? payload;
        object?[] position;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(protector.Unprotect(cursor));
            if (payload is null || payload.Workspace != workspaceId || payload.Query != fingerprint || payload.Keys.Count != keys.Count || payload.Kinds.Count != keys.Count)
            {
                throw Invalid();
            }

            position = [.. payload.Keys.Select((text, i) => Value(payload.Kinds[i], text))];
        }
        catch (Exception ex) when (ex is CryptographicException or JsonException or FormatException or OverflowException)
        {
            throw Invalid();
        }

        if (time.GetUtcNow().ToUnixTimeSeconds() - payload.IssuedAt > TimeoutSeconds)
        {
            throw ScimException.ExpiredCursor($"The cursor has expired: request the next page within cursorTimeout ({TimeoutSeconds} seconds), or start again with an empty cursor.");
        }

        return new Position(position, payload.Total, payload.CountedAt ?? 0);
    }

    private static ScimException Invalid() =>
        ScimException.InvalidCursor("The cursor is not valid for this query: send an empty cursor for the first page, then the nextCursor of the previous page with the same filter and sort.");

    /// <summary>The query a cursor belongs to: resource type, filter, sortBy and sortOrder (hashed).</summary>
    internal static string Fingerprint(ScimResourceType type, ListQuery query) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', type.Name, query.Filter ?? "", query.SortBy ?? "", query.SortOrder ?? ""))));

    /// <summary>
    /// Rows after the position in the list order: for each key, the earlier keys equal and this one beyond the
    /// position's value in its direction. An unassigned value sorts lowest, as <see cref="SortTranslator"/> orders.
    /// The whole is also bounded by the first key (at or beyond the position's value), which the disjunction implies:
    /// planners do not derive a range from an OR, and without it the seek scans from the start of the list (SQLite)
    /// or the whole list (PostgreSQL) instead of the index range from the position.
    /// Values are bound as parameters (one cached query shape per order).
    /// </summary>
    internal static Expression<Func<T, bool>> After<T>(IReadOnlyList<(LambdaExpression Key, bool Descending)> keys, object?[] position)
    {
        var row = Expression.Parameter(typeof(T), "row");
        Expression? any = null;
        Expression equalSoFar = Expression.Constant(true);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = Rebind(keys[i].Key, row);
            var beyond = Beyond(key, position[i], keys[i].Descending);
            var term = Expression.AndAlso(equalSoFar, beyond);
            any = any is null ? term : Expression.OrElse(any, term);
            equalSoFar = Expression.AndAlso(equalSoFar, Equal(key, position[i]));
        }

        var bound = AtOrBeyond(Rebind(keys[0].Key, row), position[0], keys[0].Descending);
        return Expression.Lambda<Func<T, bool>>(bound is null ? any! : Expression.AndAlso(bound, any!), row);
    }

    /// <summary>At or beyond <paramref name="value"/> in the key's direction (unassigned lowest); null where no range helps.</summary>
    private static BinaryExpression? AtOrBeyond(Expression key, object? value, bool descending)
    {
        var type = Nullable.GetUnderlyingType(key.Type) ?? key.Type;
        if (value is null || type == typeof(bool))
        {
            return null;
        }

        var nullable = !key.Type.IsValueType || Nullable.GetUnderlyingType(key.Type) is not null;
        var compared = Compare(key, Parameter(key.Type, value), descending, orEqual: true);
        return descending && nullable ? Expression.OrElse(Expression.Equal(key, Expression.Constant(null, key.Type)), compared) : compared;
    }

    private static BinaryExpression Equal(Expression key, object? value) => value is null
        ? Expression.Equal(key, Expression.Constant(null, key.Type))
        : Expression.Equal(key, Parameter(key.Type, value));

    /// <summary>Strictly after <paramref name="value"/> in the key's direction (unassigned lowest).</summary>
    private static Expression Beyond(Expression key, object? value, bool descending)
    {
        var nullable = !key.Type.IsValueType || Nullable.GetUnderlyingType(key.Type) is not null;
        if (value is null)
        {
            // Ascending: every assigned value comes after; descending: nothing comes after the lowest.
            return descending ? Expression.Constant(false) : Expression.NotEqual(key, Expression.Constant(null, key.Type));
        }

        var type = Nullable.GetUnderlyingType(key.Type) ?? key.Type;
        Expression compared;
        if (type == typeof(bool))
        {
            // false sorts before true: after true (ascending) or false (descending) there is nothing.
            var flag = (bool)value;
            compared = flag != descending ? Expression.Constant(false) : Expression.Equal(key, Expression.Constant(!flag, key.Type));
        }
        else
        {
            compared = Compare(key, Parameter(key.Type, value), descending);
        }

        return descending && nullable ? Expression.OrElse(Expression.Equal(key, Expression.Constant(null, key.Type)), compared) : compared;
    }

    /// <summary>key &gt; value (or &lt;; with <paramref name="orEqual"/> &gt;= or &lt;=): string.Compare and CompareTo are translated to the SQL comparison.</summary>
    private static BinaryExpression Compare(Expression key, Expression value, bool descending, bool orEqual = false)
    {
        Func<Expression, Expression, BinaryExpression> op = (descending, orEqual) switch
        {
            (false, false) => Expression.GreaterThan,
            (false, true) => Expression.GreaterThanOrEqual,
            (true, false) => Expression.LessThan,
            (true, true) => Expression.LessThanOrEqual,
        };
        var type = Nullable.GetUnderlyingType(key.Type) ?? key.Type;
        if (type == typeof(string))
        {
            return op(Expression.Call(typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!, key, value), Expression.Constant(0));
        }

        if (type == typeof(Guid))
        {
            return op(Expression.Call(key, typeof(Guid).GetMethod(nameof(Guid.CompareTo), [typeof(Guid)])!, value), Expression.Constant(0));
        }

        return op(key, value);
    }

    /// <summary>A value bound as a query parameter (a field of a closure object), not inlined as a literal.</summary>
    private static MemberExpression Parameter(Type type, object value)
    {
        var box = Activator.CreateInstance(typeof(Box<>).MakeGenericType(type), value)!;
        return Expression.Field(Expression.Constant(box), "Value");
    }

    private static Expression Rebind(LambdaExpression lambda, ParameterExpression row) => new Rebinder(lambda.Parameters[0], row).Visit(lambda.Body);

    private sealed class Rebinder(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }

    private static char Kind(object? value) => value switch
    {
        null => 'n',
        string => 's',
        bool => 'b',
        Guid => 'g',
        DateTime => 'd',
        int => 'i',
        long => 'l',
        _ => throw new InvalidOperationException($"A sort key of type {value.GetType()} cannot be put in a cursor."),
    };

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "1" : "0",
        Guid g => g.ToString("D"),
        DateTime d => d.Ticks.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"A sort key of type {value.GetType()} cannot be put in a cursor."),
    };

    private static object? Value(char kind, string? text) => (kind, text) switch
    {
        ('n', _) => null,
        (_, null) => throw Invalid(),
        ('s', var s) => s,
        ('b', var b) => b == "1",
        ('g', var g) => Guid.Parse(g),
        ('d', var d) => new DateTime(long.Parse(d, CultureInfo.InvariantCulture), DateTimeKind.Utc),
        ('i', var i) => int.Parse(i, CultureInfo.InvariantCulture),
        ('l', var l) => long.Parse(l, CultureInfo.InvariantCulture),
        _ => throw Invalid(),
    };
}

/// <summary>A query parameter's holder: EF binds a field read from a constant object as a parameter.</summary>
internal sealed class Box<T>(T value)
{
    public readonly T Value = value;
}
