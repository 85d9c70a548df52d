using System.Diagnostics;
using System.Linq.Expressions;
using System.Reflection;

using IdeaScale.Portal.Data.Interceptors;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Filtering;

/// <summary>
/// Folds a filter AST into an <see cref="Expression"/> that EF Core translates to SQL (STYLE habit 2: never an
/// in-memory scan). Every attribute path is resolved through the registry (<see cref="ScimRegistry"/>); the
/// translator switches on <see cref="Storage"/> and <see cref="AttributeType"/>, never on attribute names, and
/// fails closed (habit 3): an unknown attribute, an operator that does not fit the type, a literal of the wrong
/// type or an unparseable dateTime throws 400 invalidFilter instead of dropping the clause.
/// <para>Semantics worth knowing:</para>
/// <list type="bullet">
/// <item>Strings honour caseExact. A case-insensitive attribute with a <see cref="ScimAttribute.NormalizedColumn"/>
/// (userName, group displayName) compares that column with the literal normalised the same way; others fold both
/// sides with SQL <c>upper()</c> (on SQLite that folds ASCII letters only).</item>
/// <item>co/sw/ew never use LIKE: they translate to <c>instr</c>/<c>substr</c> (SQLite) or <c>strpos</c>/<c>substring</c>
/// (PostgreSQL), so <c>%</c> and <c>_</c> are ordinary characters and case sensitivity is exactly caseExact.</item>
/// <item>gt/ge/lt/le on strings compare ordinally (binary collation), after folding for case-insensitive attributes.</item>
/// <item>ne is the negation of eq: an unassigned value is "not equal". <c>eq null</c> means "not present" and
/// <c>ne null</c> "present".</item>
/// <item>pr: not null and not the empty string; for multi-valued attributes, at least one value exists.</item>
/// <item>Ids are GUIDs: <c>id eq "not-a-guid"</c> matches nothing; only eq, ne and pr apply to id-valued
/// attributes (id, manager, groups, members).</item>
/// <item>Multi-valued attributes become <c>EXISTS</c> subqueries; a valuePath filter and Entra's
/// <c>emails[type eq "work"].value eq "x"</c> must hold for one and the same value.</item>
/// </list>
/// </summary>
public static class FilterTranslator
{
    public static Expression<Func<WorkspaceMember, bool>> ForUsers(FilterNode filter, PortalDbContext db) =>
        Translate<WorkspaceMember>(filter, ScimRegistry.UserType, db);

    public static Expression<Func<WorkspaceGroup, bool>> ForGroups(FilterNode filter, PortalDbContext db) =>
        Translate<WorkspaceGroup>(filter, ScimRegistry.GroupType, db);

    private static Expression<Func<TEntity, bool>> Translate<TEntity>(FilterNode filter, ScimResourceType type, PortalDbContext db)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(db);
        var entity = Expression.Parameter(typeof(TEntity), "r");
        var body = new Folder(type, db, entity).Fold(filter);
        return Expression.Lambda<Func<TEntity, bool>>(body, entity);
    }

    // Storage-kind plumbing (which rows hold a multi-valued attribute); attribute specifics come from the registry.
    private static readonly Expression<Func<WorkspaceMember, IEnumerable<MemberValue>>> ValueRowsOf = m => m.Values;
    private static readonly Expression<Func<WorkspaceMember, IEnumerable<MemberAddress>>> AddressRowsOf = m => m.Addresses;
    private static readonly Expression<Func<MemberValue, MemberValueKind>> KindOf = v => v.Kind;
    private static readonly Expression<Func<WorkspaceMember, GroupMembership, bool>> MembershipOfUser = (m, gm) => gm.MemberId == m.Id;
    private static readonly Expression<Func<WorkspaceGroup, GroupMembership, bool>> MembershipOfGroup = (g, gm) => gm.GroupId == g.Id;

    private static readonly MethodInfo EnumerableAny = typeof(Enumerable).GetMethods()
        .Single(m => m.Name == nameof(Enumerable.Any) && m.GetParameters().Length == 2);
    private static readonly MethodInfo QueryableAny = typeof(Queryable).GetMethods()
        .Single(m => m.Name == nameof(Queryable.Any) && m.GetParameters().Length == 2);
    private static readonly MethodInfo StringToUpper = typeof(string).GetMethod(nameof(string.ToUpper), Type.EmptyTypes)!;
    private static readonly MethodInfo StringIndexOf = typeof(string).GetMethod(nameof(string.IndexOf), [typeof(string)])!;
    private static readonly MethodInfo StringSubstring = typeof(string).GetMethod(nameof(string.Substring), [typeof(int)])!;
    private static readonly MethodInfo StringCompare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;
    private static readonly PropertyInfo StringLength = typeof(string).GetProperty(nameof(string.Length))!;

    private sealed class Folder(ScimResourceType type, PortalDbContext db, ParameterExpression entity)
    {
        /// <summary>The closed set of node types: no default branch, so a new node type fails the build here.</summary>
        public Expression Fold(FilterNode node) => node switch
        {
            AndNode and => Expression.AndAlso(Fold(and.Left), Fold(and.Right)),
            OrNode or => Expression.OrElse(Fold(or.Left), Fold(or.Right)),
            NotNode not => Expression.Not(Fold(not.Inner)),
            PresentNode present => Present(present.Path),
            CompareNode compare => Compare(compare),
            ValuePathNode valuePath => ValuePath(valuePath),
            _ => throw new UnreachableException($"Unhandled filter node {node.GetType().Name}."),
        };

        private (ScimAttribute Attribute, ScimAttribute? Sub) Resolve(AttrPath path)
        {
            var resolved = FilterRules.Resolve(type, path);
            return resolved?.Attribute is { } attribute ? (attribute, resolved.SubAttribute) : throw FilterRules.Unknown(path);
        }

        private Expression Present(AttrPath path)
        {
            var (attribute, sub) = Resolve(path);
            if (!attribute.IsComplex)
            {
                return ColumnPresent(attribute, entity, path);
            }

            if (sub is not null)
            {
                return AnyValue(attribute, path, row => ColumnPresent(sub, row, path));
            }

            if (attribute.MultiValued)
            {
                return AnyValue(attribute, path, _ => Expression.Constant(true));
            }

            // A single-valued complex attribute is present when any of its filterable sub-attributes is.
            var parts = attribute.SubAttributes.Where(s => s.Column is not null).ToList();
            return parts.Count == 0
                ? throw FilterRules.NotFilterable(path)
                : AnyValue(attribute, path, row => parts.Select(s => ColumnPresent(s, row, path)).Aggregate(Expression.OrElse));
        }

        private Expression Compare(CompareNode node)
        {
            if (node.Value is NullLiteral)
            {
                return node.Op switch
                {
                    CompareOp.Eq => Expression.Not(Present(node.Path)),
                    CompareOp.Ne => Present(node.Path),
                    _ => throw ScimException.InvalidFilter($"null can only be compared with eq or ne ('{node}')."),
                };
            }

            var (attribute, sub) = Resolve(node.Path);
            if (!attribute.IsComplex)
            {
                return ColumnCompare(attribute, entity, node.Op, node.Value, node.Path);
            }

            // emails eq "x" compares emails.value; manager eq "id" compares manager.value (RFC 7644 §3.4.2.2).
            var target = sub ?? attribute.ValueSubAttribute ?? throw ScimException.InvalidFilter(
                $"'{node.Path}' is a complex attribute; compare one of its sub-attributes instead.");
            return AnyValue(attribute, node.Path, row => ColumnCompare(target, row, node.Op, node.Value, node.Path));
        }

        private Expression ValuePath(ValuePathNode node)
        {
            var (attribute, sub) = Resolve(node.Path);
            if (!attribute.IsComplex || sub is not null)
            {
                throw ScimException.InvalidFilter($"A value filter needs a complex attribute; '{node.Path}' is not one.");
            }

            return AnyValue(attribute, node.Path, row => Inner(node.Filter, attribute, row));
        }

        /// <summary>A valuePath's filter, over one value (row) of the complex attribute.</summary>
        private static Expression Inner(FilterNode node, ScimAttribute complex, Expression row) => node switch
        {
            AndNode and => Expression.AndAlso(Inner(and.Left, complex, row), Inner(and.Right, complex, row)),
            OrNode or => Expression.OrElse(Inner(or.Left, complex, row), Inner(or.Right, complex, row)),
            NotNode not => Expression.Not(Inner(not.Inner, complex, row)),
            PresentNode present => ColumnPresent(InnerSub(present.Path, complex), row, present.Path),
            CompareNode compare => compare.Value is NullLiteral
                ? compare.Op switch
                {
                    CompareOp.Eq => Expression.Not(ColumnPresent(InnerSub(compare.Path, complex), row, compare.Path)),
                    CompareOp.Ne => ColumnPresent(InnerSub(compare.Path, complex), row, compare.Path),
                    _ => throw ScimException.InvalidFilter($"null can only be compared with eq or ne ('{compare}')."),
                }
                : ColumnCompare(InnerSub(compare.Path, complex), row, compare.Op, compare.Value, Qualified(complex, compare.Path)),
            ValuePathNode nested => throw ScimException.InvalidFilter(
                $"A value filter on '{complex.Name}' cannot contain another value filter ('{nested.Path}[...]')."),
            _ => throw new UnreachableException($"Unhandled filter node {node.GetType().Name}."),
        };

        private static ScimAttribute InnerSub(AttrPath path, ScimAttribute complex)
        {
            if (path.SchemaUrn is not null || path.SubAttribute is not null)
            {
                throw ScimException.InvalidFilter(
                    $"Inside a value filter on '{complex.Name}', name a sub-attribute of it (such as 'value'), not '{path}'.");
            }

            return complex.SubAttribute(path.Name) ?? throw ScimException.InvalidFilter(
                $"'{path.Name}' is not a sub-attribute of '{complex.Name}'.");
        }

        private static AttrPath Qualified(ScimAttribute complex, AttrPath sub) => new(null, complex.Name, sub.Name);

        /// <summary>
        /// "Some value of <paramref name="complex"/> satisfies <paramref name="predicate"/>", where the predicate is
        /// built over the row holding one value. Single-valued complex attributes live on the resource itself.
        /// </summary>
        private Expression AnyValue(ScimAttribute complex, AttrPath path, Func<Expression, Expression> predicate)
        {
            switch (complex.Storage)
            {
                case Storage.Inline or Storage.Manager or Storage.Meta:
                    return predicate(entity);
                case Storage.ValueRows when entity.Type == typeof(WorkspaceMember):
                    {
                        var row = Expression.Parameter(typeof(MemberValue), "v");
                        var kind = Expression.Equal(Bind(KindOf, row), Expression.Constant(complex.RowKind ?? throw FilterRules.NotFilterable(path)));
                        return Any(Bind(ValueRowsOf, entity), Expression.Lambda(Expression.AndAlso(kind, predicate(row)), row));
                    }

                case Storage.AddressRows when entity.Type == typeof(WorkspaceMember):
                    {
                        var row = Expression.Parameter(typeof(MemberAddress), "a");
                        return Any(Bind(AddressRowsOf, entity), Expression.Lambda(predicate(row), row));
                    }

                case Storage.GroupsOfUser when entity.Type == typeof(WorkspaceMember):
                    return Memberships(MembershipOfUser, predicate);
                case Storage.MembersOfGroup when entity.Type == typeof(WorkspaceGroup):
                    return Memberships(MembershipOfGroup, predicate);
                default:
                    throw FilterRules.NotFilterable(path);
            }
        }

        /// <summary><c>db.GroupMemberships.Any(gm => join(resource, gm) &amp;&amp; predicate(gm))</c>, an EXISTS subquery.</summary>
        private MethodCallExpression Memberships(LambdaExpression join, Func<Expression, Expression> predicate)
        {
            var row = Expression.Parameter(typeof(GroupMembership), "gm");
            var on = new Rebinder(join.Parameters[0], entity, join.Parameters[1], row).Visit(join.Body);
            var lambda = Expression.Lambda<Func<GroupMembership, bool>>(Expression.AndAlso(on, predicate(row)), row);
            Expression<Func<IQueryable<GroupMembership>>> source = () => db.GroupMemberships;
            return Expression.Call(QueryableAny.MakeGenericMethod(typeof(GroupMembership)), source.Body, Expression.Quote(lambda));
        }

        private static MethodCallExpression Any(Expression source, LambdaExpression predicate) =>
            Expression.Call(EnumerableAny.MakeGenericMethod(predicate.Parameters[0].Type), source, predicate);
    }

    /// <summary>The body of a one-parameter registry lambda, applied to <paramref name="row"/>.</summary>
    private static Expression Bind(LambdaExpression column, Expression row)
    {
        if (!column.Parameters[0].Type.IsAssignableFrom(row.Type))
        {
            throw new InvalidOperationException($"Registry column {column} does not apply to {row.Type.Name}.");
        }

        return new Rebinder(column.Parameters[0], row).Visit(column.Body);
    }

    private static Expression ColumnPresent(ScimAttribute attribute, Expression row, AttrPath path)
    {
        var column = attribute.Column is null ? throw FilterRules.NotFilterable(path) : Bind(attribute.Column, row);
        if (column.Type == typeof(string))
        {
            return Expression.AndAlso(
                Expression.NotEqual(column, Expression.Constant(null, typeof(string))),
                Expression.NotEqual(column, Expression.Constant("")));
        }

        return Nullable.GetUnderlyingType(column.Type) is not null || !column.Type.IsValueType
            ? Expression.NotEqual(column, Expression.Constant(null, column.Type))
            : Expression.Constant(true);
    }

    private static Expression ColumnCompare(ScimAttribute attribute, Expression row, CompareOp op, FilterLiteral literal, AttrPath path)
    {
        if (attribute.Column is null)
        {
            throw FilterRules.NotFilterable(path);
        }

        var operand = FilterRules.Operand(attribute, op, literal, path);
        var column = Bind(attribute.Column, row);
        var columnType = Nullable.GetUnderlyingType(column.Type) ?? column.Type;

        if (columnType == typeof(Guid))
        {
            return CompareId(column, op, (string)operand, path);
        }

        if (operand is string text && columnType == typeof(string))
        {
            return CompareString(attribute, row, column, op, text);
        }

        if (operand is DateTime or decimal or bool && (columnType == operand.GetType() || IsNumeric(columnType) && operand is decimal))
        {
            var value = Parameter(Convert.ChangeType(operand, columnType, System.Globalization.CultureInfo.InvariantCulture), column.Type);
            return Relational(op, column, value);
        }

        throw FilterRules.NotFilterable(path);
    }

    private static bool IsNumeric(Type t) => t == typeof(int) || t == typeof(long) || t == typeof(decimal) || t == typeof(double);

    /// <summary>Id-valued attributes (GUID columns): eq/ne only; a value that is not a GUID equals nothing.</summary>
    private static Expression CompareId(Expression column, CompareOp op, string text, AttrPath path)
    {
        if (op is not (CompareOp.Eq or CompareOp.Ne))
        {
            throw ScimException.InvalidFilter($"Only eq, ne and pr can be used with '{path}', which holds resource ids.");
        }

        if (!Guid.TryParse(text, out var id))
        {
            return Expression.Constant(op == CompareOp.Ne);
        }

        var value = Parameter(id, column.Type);
        return op == CompareOp.Eq ? Expression.Equal(column, value) : Expression.NotEqual(column, value);
    }

    private static BinaryExpression CompareString(ScimAttribute attribute, Expression row, Expression column, CompareOp op, string text)
    {
        Expression value;
        if (attribute.CaseExact)
        {
            value = ServerSide(text);
        }
        else if (attribute.NormalizedColumn is not null)
        {
            column = Bind(attribute.NormalizedColumn, row);
            value = ServerSide(AuditStampInterceptor.Normalize(text));
        }
        else
        {
            // Folded alike on both providers: the column by upper() in SQL, the value here (CaseFolding).
            column = Expression.Call(column, StringToUpper);
            value = ServerSide(CaseFolding.AsciiUpper(text));
        }

        return op switch
        {
            // instr(col, v) > 0 / strpos(col, v) > 0: no wildcards, no collation surprises.
            CompareOp.Co => Expression.GreaterThanOrEqual(Expression.Call(column, StringIndexOf, value), Expression.Constant(0)),
            CompareOp.Sw => Expression.Equal(Expression.Call(column, StringIndexOf, value), Expression.Constant(0)),
            // substr(col, length(col) - length(v) + 1) = v, guarded so a longer v cannot wrap around.
            CompareOp.Ew => Expression.AndAlso(
                Expression.GreaterThanOrEqual(Expression.Property(column, StringLength), Expression.Property(value, StringLength)),
                Expression.Equal(
                    Expression.Call(column, StringSubstring, Expression.Subtract(Expression.Property(column, StringLength), Expression.Property(value, StringLength))),
                    value)),
            CompareOp.Eq or CompareOp.Ne => Relational(op, column, value),
            CompareOp.Gt or CompareOp.Ge or CompareOp.Lt or CompareOp.Le =>
                Relational(op, Expression.Call(StringCompare, column, value), Expression.Constant(0)),
            _ => throw new UnreachableException($"Unhandled operator {op}."),
        };
    }

    private static BinaryExpression Relational(CompareOp op, Expression left, Expression right) => op switch
    {
        CompareOp.Eq => Expression.Equal(left, right),
        CompareOp.Ne => Expression.NotEqual(left, right),
        CompareOp.Gt => Expression.GreaterThan(left, right),
        CompareOp.Ge => Expression.GreaterThanOrEqual(left, right),
        CompareOp.Lt => Expression.LessThan(left, right),
        CompareOp.Le => Expression.LessThanOrEqual(left, right),
        _ => throw new UnreachableException($"{op} is not a relational operator."),
    };

    /// <summary>A value EF Core sends as a SQL parameter (not an inlined constant), so query plans are reused.</summary>
    private static MemberExpression Parameter(object value, Type type)
    {
        var holderType = typeof(Holder<>).MakeGenericType(type);
        var holder = Activator.CreateInstance(holderType, value)!;
        return Expression.Property(Expression.Constant(holder), nameof(Holder<object>.Value));
    }

    /// <summary>
    /// A string parameter that EF Core must keep in SQL rather than evaluate in .NET, so functions applied to it
    /// (upper) run in the database, exactly like on the column.
    /// </summary>
    private static MethodCallExpression ServerSide(string value) =>
        Expression.Call(typeof(Microsoft.EntityFrameworkCore.EF).GetMethod(nameof(Microsoft.EntityFrameworkCore.EF.Parameter))!.MakeGenericMethod(typeof(string)),
            Parameter(value, typeof(string)));

    private sealed class Holder<T>(T value)
    {
        public T Value { get; } = value;
    }

    /// <summary>Replaces lambda parameters with other expressions.</summary>
    private sealed class Rebinder(ParameterExpression from, Expression to, ParameterExpression? from2 = null, Expression? to2 = null) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) =>
            node == from ? to : node == from2 && to2 is not null ? to2 : base.VisitParameter(node);
    }
}
