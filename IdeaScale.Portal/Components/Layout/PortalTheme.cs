using MudBlazor;

namespace IdeaScale.Portal.Components.Layout;

/// <summary>IdeaScale brand colours for light and dark mode.</summary>
public static class PortalTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#c2501a",
            Secondary = "#3d5a80",
            AppbarBackground = "#c2501a",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#ff8a50",
            Secondary = "#98c1d9",
            AppbarBackground = "#2b2b33",
        },
    };
}
