using System.Collections.Concurrent;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>
/// Reads and writes the entity property behind a registry row's <see cref="ScimAttribute.Column"/>, converting
/// between the column's CLR type and SCIM JSON. The mappers use it for every <see cref="Storage.Column"/>
/// attribute, so adding a column attribute to the registry needs no mapper change.
/// </summary>
public static class ColumnAccess
{
    private static readonly ConcurrentDictionary<LambdaExpression, PropertyInfo> Properties = new();
    private static readonly ConcurrentDictionary<Type, object> Defaults = new();
    private static readonly ConcurrentDictionary<(PropertyInfo Property, Type Entity), Func<object, object?>> Getters = new();

    public static PropertyInfo Property(ScimAttribute attribute)
    {
        var column = attribute.Column ?? throw new InvalidOperationException($"Attribute {attribute.Name} has no column.");
        return Properties.GetOrAdd(column, static c =>
        {
            var body = c.Body is UnaryExpression { NodeType: ExpressionType.Convert } u ? u.Operand : c.Body;
            return body is MemberExpression { Member: PropertyInfo p } ? p : throw new InvalidOperationException($"Column {c} is not a property.");
        });
    }

    /// <summary>The column's value as stored (a string, bool, Guid, DateTime, number or null).</summary>
    public static object? Value(ScimAttribute attribute, object entity) => Getter(Property(attribute), entity.GetType())(entity);

    /// <summary>
    /// Writes the column's value as <see cref="Read"/> returns it: strings, booleans and numbers as such, ids as
    /// their "D" form, times in round-trip form.
    /// </summary>
    public static void WriteValue(Utf8JsonWriter writer, string name, object value)
    {
        switch (value)
        {
            case string s:
                writer.WriteString(name, s);
                break;
            case bool b:
                writer.WriteBoolean(name, b);
                break;
            case int i:
                writer.WriteNumber(name, i);
                break;
            case long l:
                writer.WriteNumber(name, l);
                break;
            case DateTime d:
                writer.WriteString(name, DateTime.SpecifyKind(d, DateTimeKind.Utc).ToString("o", CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteString(name, value.ToString());
                break;
        }
    }

    /// <summary>The column's value as SCIM JSON; null for unassigned (null strings, false booleans of row entities are kept).</summary>
    public static JsonNode? Read(ScimAttribute attribute, object entity)
    {
        var value = Getter(Property(attribute), entity.GetType())(entity);
        return value switch
        {
            null => null,
            string s => JsonValue.Create(s),
            bool b => JsonValue.Create(b),
            Guid g => JsonValue.Create(g.ToString()),
            DateTime d => JsonValue.Create(DateTime.SpecifyKind(d, DateTimeKind.Utc).ToString("o", CultureInfo.InvariantCulture)),
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            _ => JsonValue.Create(value.ToString()),
        };
    }

    /// <summary>
    /// Writes an already coerced SCIM value (see <see cref="ScimValues.Coerce"/>) to the column. Null means
    /// unassigned (RFC 7643 §2.5): the column gets the default a new entity has (null, or e.g. active = true).
    /// </summary>
    public static void Write(ScimAttribute attribute, object entity, JsonNode? value)
    {
        var property = Property(attribute);
        if (!property.CanWrite)
        {
            return;
        }

        var type = property.PropertyType;
        if (value is null)
        {
            property.SetValue(entity, property.GetValue(DefaultOf(entity.GetType())));
            return;
        }

        var json = (JsonValue)value;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string))
        {
            property.SetValue(entity, json.GetValue<string>());
        }
        else if (target == typeof(bool))
        {
            property.SetValue(entity, json.GetValue<bool>());
        }
        else if (target == typeof(Guid))
        {
            property.SetValue(entity, Guid.TryParse(json.GetValue<string>(), out var g) ? g
                : throw ScimException.InvalidValue($"'{attribute.Name}' must be an id."));
        }
        else if (target == typeof(DateTime))
        {
            property.SetValue(entity, DateTime.Parse(json.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal));
        }
        else if (json.GetValueKind() == JsonValueKind.Number)
        {
            property.SetValue(entity, Convert.ChangeType(json.GetValue<decimal>(), target, CultureInfo.InvariantCulture));
        }
        else
        {
            throw new InvalidOperationException($"Unsupported column type {type} for {attribute.Name}.");
        }
    }

    /// <summary>A compiled getter per property (reflection's GetValue was a tenth of writing a page of users as JSON).</summary>
    private static Func<object, object?> Getter(PropertyInfo property, Type entityType) =>
        Getters.GetOrAdd((property, entityType), static key =>
        {
            var entity = Expression.Parameter(typeof(object), "entity");
            var read = Expression.Property(Expression.Convert(entity, key.Entity), key.Property);
            return Expression.Lambda<Func<object, object?>>(Expression.Convert(read, typeof(object)), entity).Compile();
        });

    private static object DefaultOf(Type entityType) => Defaults.GetOrAdd(entityType, static t => Activator.CreateInstance(t)!);
}
