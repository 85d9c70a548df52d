using System.Text.Json;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Compatibility;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Patching;

public enum PatchOp
{
    Add,
    Replace,
    Remove,
}

public enum MemberDeltaKind
{
    Add,
    Remove,
    Replace,
    RemoveAll,
}

/// <summary>A change to a group's membership, applied set-wise to membership rows (never by loading the member list).</summary>
public sealed record MemberDelta(MemberDeltaKind Kind, IReadOnlyList<string> Ids);

/// <summary>What a PATCH did: membership deltas to apply in SQL, and the attributes it touched (for the provisioning log).</summary>
public sealed record PatchOutcome(IReadOnlyList<MemberDelta> MemberDeltas, IReadOnlyCollection<string> Changed);

/// <summary>
/// The one PATCH engine (RFC 7644 §3.5.2): applies add/replace/remove to a resource's canonical representation
/// with every path form — attribute, sub-attribute, valuePath filter, valuePath + sub-attribute, URN-qualified,
/// and no path with an object whose keys may be paths. Driven by the registry; the caller writes the result back
/// through the mapper PUT uses, in one SaveChanges. An operation that cannot be applied throws (invalidPath,
/// noTarget, mutability, invalidValue); nothing is applied partially because nothing is saved until all succeed.
/// Attributes stored as <see cref="Storage.MembersOfGroup"/> are not materialised: they become <see cref="MemberDelta"/>s.
/// </summary>
public sealed class PatchEngine(ScimResourceType type)
{
    public PatchOutcome Apply(JsonObject resource, string resourceId, IReadOnlyList<PatchOperation>? operations)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (operations is null || operations.Count == 0)
        {
            throw ScimException.InvalidSyntax("A PATCH request needs at least one operation in 'Operations'.");
        }

        var run = new Run(type, resource, resourceId);
        foreach (var operation in operations)
        {
            if (operation is null)
            {
                throw ScimException.InvalidSyntax("An operation is null.");
            }

            var op = ParseOp(operation.Op);
            if (string.IsNullOrWhiteSpace(operation.Path))
            {
                run.ApplyWithoutPath(op, operation.Value);
            }
            else
            {
                run.ApplyPath(op, PatchTarget.Parse(type, operation.Path), operation.Value, explicitPath: true);
            }
        }

        ScimValues.Tidy(resource, type);
        return new PatchOutcome(run.Deltas, run.Changed);
    }

    /// <summary>Op names are matched case-insensitively (Entra sends "Replace"; see <see cref="IdpQuirks.OpEquals"/>).</summary>
    public static PatchOp ParseOp(string? op)
    {
        foreach (var candidate in Enum.GetValues<PatchOp>())
        {
            if (op is not null && IdpQuirks.OpEquals(op, candidate.ToString()))
            {
                return candidate;
            }
        }

        throw ScimException.InvalidSyntax($"Unknown PATCH op '{op}': use add, replace or remove.");
    }

    private sealed class Run(ScimResourceType type, JsonObject resource, string resourceId)
    {
        public List<MemberDelta> Deltas { get; } = [];
        public SortedSet<string> Changed { get; } = new(StringComparer.Ordinal);

        public void ApplyWithoutPath(PatchOp op, JsonNode? value)
        {
            if (op == PatchOp.Remove)
            {
                throw ScimException.NoTarget("A remove operation needs a path.");
            }

            if (value is not JsonObject obj)
            {
                throw ScimException.InvalidValue("Without a path, the value must be an object of attributes.");
            }

            foreach (var (key, item) in obj)
            {
                if (string.Equals(key, "schemas", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (type.Schema(key) is { } schema && !ReferenceEquals(schema, type.Core))
                {
                    ApplyWithoutPathIn(op, schema, item);
                    continue;
                }

                ApplyKey(op, key, item);
            }
        }

        private void ApplyWithoutPathIn(PatchOp op, ScimSchema schema, JsonNode? value)
        {
            if (value is not JsonObject inner)
            {
                throw ScimException.InvalidValue($"'{schema.Id}' must be an object of attributes.");
            }

            foreach (var (key, item) in inner)
            {
                ApplyKey(op, schema.Id + ":" + key, item);
            }
        }

        /// <summary>A key of a no-path value: an attribute name or a path (Entra's aadOptscim062020 mode sends "name.givenName").</summary>
        private void ApplyKey(PatchOp op, string key, JsonNode? value)
        {
            var resolved = type.Resolve(IdpQuirks.ExtensionPath(type, key));
            if (resolved?.Attribute is not { } attribute)
            {
                // Unknown attributes are ignored, as in POST and PUT bodies.
                return;
            }

            if (attribute.Mutability == Mutability.ReadOnly)
            {
                // OktaIdInReplaceValue: the resource's own id is ignored; another id would change it.
                if (attribute == type.Common.FirstOrDefault(a => a.Name == "id") && !IdpQuirks.IsOwnId(value, resourceId))
                {
                    throw ScimException.Mutability("'id' is read-only and cannot be changed.");
                }

                return;
            }

            ApplyPath(op, new PatchTarget(resolved, null), value, explicitPath: false);
        }

        public void ApplyPath(PatchOp op, PatchTarget target, JsonNode? value, bool explicitPath)
        {
            if (target.Path.Attribute is not { } attribute)
            {
                // The path is a bare schema URN: its value holds that schema's attributes.
                if (op == PatchOp.Remove)
                {
                    Changed.Add(target.Path.Schema.Id);
                    resource.Remove(target.Path.Schema.Id);
                    return;
                }

                ApplyWithoutPathIn(op, target.Path.Schema, value);
                return;
            }

            var sub = target.Path.SubAttribute ?? target.SubAttribute;
            if (attribute.Mutability == Mutability.ReadOnly || sub?.Mutability == Mutability.ReadOnly)
            {
                throw ScimException.Mutability($"'{target.Text}' is read-only.");
            }

            Changed.Add(target.Path.Canonical is { Length: > 0 } c && target.Path.SubAttribute is not null ? c[..c.LastIndexOf('.')] : target.Path.Canonical);
            if (attribute.Storage == Storage.MembersOfGroup)
            {
                Members(op, target, value);
                return;
            }

            var container = ScimValues.Container(resource, type, attribute, create: op != PatchOp.Remove);
            if (container is null)
            {
                return;
            }

            if (target.Filter is not null)
            {
                Filtered(op, container, attribute, target, value);
            }
            else if (target.Path.SubAttribute is { } direct)
            {
                SubAttribute(op, container, attribute, direct, value, target.Text);
            }
            else
            {
                Whole(op, container, attribute, value, target.Text, explicitPath);
            }
        }

        private static void Whole(PatchOp op, JsonObject container, ScimAttribute attribute, JsonNode? value, string path, bool explicitPath)
        {
            _ = explicitPath;
            if (op == PatchOp.Remove)
            {
                if (attribute.MultiValued && value is JsonArray or JsonObject && container[attribute.Name] is JsonArray existing)
                {
                    // EntraRemoveMembersWithValue (generalised): remove only the listed values.
                    var listed = ((JsonArray)ScimValues.Coerce(attribute, value, path)!).OfType<JsonObject>().ToList();
                    foreach (var element in existing.OfType<JsonObject>().Where(e => listed.Any(l => SameValue(l, e))).ToList())
                    {
                        existing.Remove(element);
                    }

                    ScimValues.SetOrRemove(container, attribute.Name, existing.Count == 0 ? null : existing);
                    return;
                }

                container.Remove(attribute.Name);
                return;
            }

            var coerced = ScimValues.Coerce(attribute, value, path);
            if (attribute.MultiValued)
            {
                if (op == PatchOp.Replace || container[attribute.Name] is not JsonArray existing)
                {
                    ScimValues.SetOrRemove(container, attribute.Name, coerced is JsonArray { Count: > 0 } ? coerced : null);
                    return;
                }

                foreach (var item in ((JsonArray?)coerced ?? []).ToList())
                {
                    if (!existing.Any(e => JsonNode.DeepEquals(e, item)))
                    {
                        if (IsPrimary(item))
                        {
                            ClearPrimary(existing);
                        }

                        existing.Add(item!.DeepClone());
                    }
                }

                return;
            }

            if (attribute.IsComplex && coerced is JsonObject incoming && container[attribute.Name] is JsonObject current)
            {
                // RFC 7644 §3.5.2.1/3: sub-attributes not in the value are left unchanged.
                foreach (var (key, item) in incoming)
                {
                    current[key] = item?.DeepClone();
                }

                return;
            }

            ScimValues.SetOrRemove(container, attribute.Name, coerced);
        }

        private static void SubAttribute(PatchOp op, JsonObject container, ScimAttribute attribute, ScimAttribute sub, JsonNode? value, string path)
        {
            var coerced = op == PatchOp.Remove ? null : ScimValues.CoerceScalar(sub, value, path);
            if (!attribute.MultiValued)
            {
                var parent = container[attribute.Name] as JsonObject ?? [];
                ScimValues.SetOrRemove(parent, sub.Name, coerced);
                ScimValues.SetOrRemove(container, attribute.Name, parent.Count == 0 ? null : parent);
                return;
            }

            // emails.value without a filter addresses every value (RFC 7644 §3.5.2); with none, add creates one.
            var array = container[attribute.Name] as JsonArray ?? [];
            if (array.Count == 0 && coerced is not null)
            {
                array.Add(new JsonObject { [sub.Name] = coerced });
            }
            else
            {
                foreach (var element in array.OfType<JsonObject>())
                {
                    ScimValues.SetOrRemove(element, sub.Name, coerced?.DeepClone());
                }
            }

            Prune(array);
            ScimValues.SetOrRemove(container, attribute.Name, array.Count == 0 ? null : array);
        }

        private static void Filtered(PatchOp op, JsonObject container, ScimAttribute attribute, PatchTarget target, JsonNode? value)
        {
            if (!attribute.MultiValued || !attribute.IsComplex)
            {
                throw ScimException.InvalidPath($"'{target.Text}': a value filter needs a multi-valued complex attribute.");
            }

            var array = container[attribute.Name] as JsonArray ?? [];
            var matches = array.OfType<JsonObject>().Where(e => target.Matches(attribute, e)).ToList();
            var sub = target.SubAttribute;
            if (op == PatchOp.Remove)
            {
                foreach (var element in matches)
                {
                    if (sub is null)
                    {
                        array.Remove(element);
                    }
                    else
                    {
                        element.Remove(sub.Name);
                    }
                }

                Prune(array);
                ScimValues.SetOrRemove(container, attribute.Name, array.Count == 0 ? null : array);
                return;
            }

            JsonObject incoming;
            if (sub is not null)
            {
                incoming = new JsonObject { [sub.Name] = ScimValues.CoerceScalar(sub, value, target.Text) };
            }
            else
            {
                incoming = ScimValues.CoerceElement(attribute, value, target.Text) as JsonObject
                    ?? throw ScimException.InvalidValue($"'{target.Text}' needs an object value.");
            }

            if (matches.Count == 0)
            {
                // EntraAddCreatesFilteredValue: create the value the filter describes.
                var created = target.EqualityElement(attribute)
                    ?? throw ScimException.NoTarget($"No value matches '{target.Text}'.");
                matches.Add(created);
                array.Add(created);
            }

            foreach (var element in matches)
            {
                foreach (var (key, item) in incoming)
                {
                    ScimValues.SetOrRemove(element, key, item?.DeepClone());
                }
            }

            if (incoming["primary"] is JsonValue p && p.GetValueKind() == JsonValueKind.True)
            {
                foreach (var other in array.OfType<JsonObject>().Except(matches))
                {
                    other.Remove("primary");
                }
            }

            Prune(array);
            ScimValues.SetOrRemove(container, attribute.Name, array.Count == 0 ? null : array);
        }

        private void Members(PatchOp op, PatchTarget target, JsonNode? value)
        {
            if (target.Path.SubAttribute is not null || target.SubAttribute is not null)
            {
                throw ScimException.InvalidPath($"'{target.Text}': change members as a whole or by members[value eq \"id\"].");
            }

            var attribute = target.Path.Attribute!;
            if (target.Filter is not null)
            {
                if (op != PatchOp.Remove)
                {
                    throw ScimException.InvalidPath($"'{target.Text}': add or replace members without a filter.");
                }

                Deltas.Add(new MemberDelta(MemberDeltaKind.Remove, target.ValueIds()
                    ?? throw ScimException.InvalidPath($"'{target.Text}': only members[value eq \"id\"] filters (joined with or) are supported.")));
                return;
            }

            var ids = Ids(attribute, value, target.Text);
            var kind = (op, value) switch
            {
                (PatchOp.Add, _) => MemberDeltaKind.Add,
                (PatchOp.Replace, _) => ids.Count == 0 ? MemberDeltaKind.RemoveAll : MemberDeltaKind.Replace,
                (PatchOp.Remove, null) => MemberDeltaKind.RemoveAll,
                _ => MemberDeltaKind.Remove, // EntraRemoveMembersWithValue: only the listed members.
            };
            Deltas.Add(new MemberDelta(kind, ids));
        }

        private static List<string> Ids(ScimAttribute attribute, JsonNode? value, string path) =>
            ((ScimValues.Coerce(attribute, value, path) as JsonArray) ?? [])
                .OfType<JsonObject>()
                .Select(e => e["value"] is JsonValue v ? v.GetValue<string>() : throw ScimException.InvalidValue($"Each of '{path}' needs a 'value'."))
                .ToList();

        private static bool SameValue(JsonObject listed, JsonObject element) =>
            listed["value"] is { } v ? JsonNode.DeepEquals(v, element["value"]) : JsonNode.DeepEquals(listed, element);

        private static bool IsPrimary(JsonNode? item) => item is JsonObject o && o["primary"] is JsonValue p && p.GetValueKind() == JsonValueKind.True;

        private static void ClearPrimary(JsonArray array)
        {
            foreach (var element in array.OfType<JsonObject>())
            {
                element.Remove("primary");
            }
        }

        private static void Prune(JsonArray array)
        {
            foreach (var empty in array.OfType<JsonObject>().Where(e => e.Count == 0).ToList())
            {
                array.Remove(empty);
            }
        }
    }
}
