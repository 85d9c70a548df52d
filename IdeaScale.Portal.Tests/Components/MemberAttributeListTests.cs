using Bunit;

using IdeaScale.Portal.Components.Pages.ManageWorkspace;
using IdeaScale.Portal.Workspaces;

using Microsoft.Extensions.DependencyInjection;

using MudBlazor.Services;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>The member detail panel's attributes: grouped by schema and by attribute, empty ones left out.</summary>
public sealed class MemberAttributeListTests : BunitContext
{
    public MemberAttributeListTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    [Fact]
    public void Render_SectionsWithEmptyValues_GroupsSubAttributesAndHidesEmptyOnesAndEmptySchemas()
    {
        IReadOnlyList<AttributeSection> sections =
        [
            new("urn:ietf:params:scim:schemas:core:2.0:User", "User",
            [
                new("userName", "ada@ides.example"),
                new("name.givenName", "Ada"),
                new("name.familyName", "Lovelace"),
                new("name.middleName", null),
                new("title", null),
            ]),
            new("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "Enterprise User",
            [
                new("department", null),
                new("manager.value", null),
            ]),
        ];

        var cut = Render<MemberAttributeList>(p => p.Add(l => l.Sections, sections));

        Assert.Equal(["User"], cut.FindAll("[data-testid=member-section]").Select(s => s.TextContent.Trim()));
        Assert.DoesNotContain("enterprise", cut.Markup, StringComparison.Ordinal);
        Assert.Equal(["userName", "name.givenName", "name.familyName"], cut.FindAll("tr[data-path]").Select(r => r.GetAttribute("data-path")));
        // name.* sit together under one "name" heading; a single attribute gets none.
        var heading = Assert.Single(cut.FindAll("tr.member-attribute-group"));
        Assert.Equal("name", heading.TextContent.Trim());
        Assert.Equal("name.givenName", heading.NextElementSibling?.GetAttribute("data-path"));
    }
}
