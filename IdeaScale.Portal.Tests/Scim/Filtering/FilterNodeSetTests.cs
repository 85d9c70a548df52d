using IdeaScale.Portal.Scim.Filtering;

namespace IdeaScale.Portal.Tests.Scim.Filtering;

/// <summary>
/// C# cannot prove a switch over a record hierarchy exhaustive, so this pins the closed set: adding a node type
/// fails here until the translator, the evaluator and this list handle it.
/// </summary>
public sealed class FilterNodeSetTests
{
    [Fact]
    public void FilterNode_Subtypes_AreExactlyTheHandledSet()
    {
        var subtypes = typeof(FilterNode).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(FilterNode)))
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal);

        Assert.Equal(["AndNode", "CompareNode", "NotNode", "OrNode", "PresentNode", "ValuePathNode"], subtypes);
        Assert.All(typeof(FilterNode).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(FilterNode))), t => Assert.True(t.IsSealed));
    }

    [Fact]
    public void FilterLiteral_Subtypes_AreExactlyTheHandledSet()
    {
        var subtypes = typeof(FilterLiteral).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(FilterLiteral)))
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal);

        Assert.Equal(["BooleanLiteral", "NullLiteral", "NumberLiteral", "StringLiteral"], subtypes);
    }
}
