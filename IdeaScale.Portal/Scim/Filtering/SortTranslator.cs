using System.Linq.Expressions;
using System.Reflection;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Filtering;

/// <summary>
/// RFC 7644 §3.4.2.3 sorting, in SQL. <c>sortBy</c> is resolved through the registry and must name a
/// single-valued attribute stored in a column of the resource (e.g. userName, name.familyName, meta.created,
/// urn:...:enterprise:2.0:User:department). Anything else (unknown, multi-valued such as emails, or not stored
/// as a column) is 400 <b>invalidValue</b>: sortBy is a query parameter, not a filter. <c>sortOrder</c> is
/// "ascending" (the default) or "descending", case-insensitively; anything else is 400 invalidValue.
/// Case-insensitive string attributes sort case-insensitively. Every ordering ends with meta.created, then id
/// (both ascending, whatever sortOrder says), so pages are stable. Unassigned values sort as the lowest value on every
/// provider: first ascending, last descending (RFC 7644 leaves it open; SQLite does this by itself, PostgreSQL the
/// opposite), enforced in the query by a leading "has a value" key in the same direction.
/// </summary>
public static class SortTranslator
{
    private static readonly MethodInfo StringToUpper = typeof(string).GetMethod(nameof(string.ToUpper), Type.EmptyTypes)!;

    public static IOrderedQueryable<T> Apply<T>(IQueryable<T> query, ScimResourceType type, string? sortBy, string? sortOrder)
    {
        ArgumentNullException.ThrowIfNull(query);
        IOrderedQueryable<T>? ordered = null;
        foreach (var (key, descending) in Keys<T>(type, sortBy, sortOrder))
        {
            if (ordered is null && HasValue(key) is { } hasValue)
            {
                ordered = ThenBy(null, query, hasValue, descending);
            }

            ordered = ThenBy(ordered, query, key, descending);
        }

        return ordered!;
    }

    /// <summary>
    /// The keys of the order <see cref="Apply"/> sorts by, most significant first: the sortBy key (if any, unassigned
    /// lowest) in sortOrder's direction, then meta.created and id ascending. Keyset paging (cursors) compares them.
    /// </summary>
    public static IReadOnlyList<(LambdaExpression Key, bool Descending)> Keys<T>(ScimResourceType type, string? sortBy, string? sortOrder)
    {
        ArgumentNullException.ThrowIfNull(type);
        var descending = sortOrder?.Trim().ToLowerInvariant() switch
        {
            null or "" or "ascending" => false,
            "descending" => true,
            _ => throw ScimException.InvalidValue("sortOrder must be \"ascending\" or \"descending\"."),
        };

        // The stable tie-break, from the registry's common attributes: meta.created, then id.
        var created = ColumnOf<T>(type, "meta.created") ?? throw new InvalidOperationException($"{type.Name} has no meta.created column.");
        var id = ColumnOf<T>(type, "id") ?? throw new InvalidOperationException($"{type.Name} has no id column.");
        return string.IsNullOrWhiteSpace(sortBy)
            ? [(created, false), (id, false)]
            : [(SortKey<T>(type, sortBy.Trim()), descending), (created, false), (id, false)];
    }

    private static LambdaExpression SortKey<T>(ScimResourceType type, string sortBy)
    {
        var resolved = FilterRules.Resolve(type, sortBy);
        if (resolved?.Attribute is not { } attribute)
        {
            throw ScimException.InvalidValue($"sortBy names an unknown attribute '{sortBy}'.");
        }

        var target = resolved.SubAttribute ?? (attribute.IsComplex ? attribute.ValueSubAttribute : attribute);
        if (attribute.MultiValued || target?.Column is not { } column || column.Parameters[0].Type != typeof(T))
        {
            throw ScimException.InvalidValue($"sortBy '{sortBy}' cannot be sorted on; use a single-valued attribute such as userName or meta.created.");
        }

        if (target.CaseExact || column.ReturnType != typeof(string))
        {
            return column;
        }

        if (target.NormalizedColumn is { } normalized)
        {
            return normalized;
        }

        return Expression.Lambda(Expression.Call(column.Body, StringToUpper), column.Parameters);
    }

    /// <summary><c>key != null</c> for a key that can be NULL (false sorts before true on both providers); null otherwise.</summary>
    private static LambdaExpression? HasValue(LambdaExpression key) =>
        key.ReturnType.IsValueType && Nullable.GetUnderlyingType(key.ReturnType) is null
            ? null
            : Expression.Lambda(Expression.NotEqual(key.Body, Expression.Constant(null, key.ReturnType)), key.Parameters);

    private static LambdaExpression? ColumnOf<T>(ScimResourceType type, string path) =>
        type.Resolve(path)?.Target?.Column is { } column && column.Parameters[0].Type == typeof(T) ? column : null;

    private static IOrderedQueryable<T> ThenBy<T>(IOrderedQueryable<T>? ordered, IQueryable<T> query, LambdaExpression key, bool descending)
    {
        var method = (ordered, descending) switch
        {
            (null, false) => nameof(Queryable.OrderBy),
            (null, true) => nameof(Queryable.OrderByDescending),
            (_, false) => nameof(Queryable.ThenBy),
            (_, true) => nameof(Queryable.ThenByDescending),
        };
        var source = ordered ?? query;
        var call = Expression.Call(typeof(Queryable), method, [typeof(T), key.ReturnType], source.Expression, Expression.Quote(key));
        return (IOrderedQueryable<T>)source.Provider.CreateQuery<T>(call);
    }
}
