//! A `.pptx` writer (Office Open XML, ECMA-376 PresentationML): a title slide, content slides with
//! a title, bullet points and an optional picture, and speaker notes on every slide.
//!
//! Written by hand on the `zip` crate: the package needs a dozen fixed parts and two kinds of
//! slide, and the Rust PPTX crates either pull a web client and a syntax highlighter in, or work a
//! level below this (parts and raw XML) with another major version of `zip`. The test command opens
//! what this writes in LibreOffice and counts the pages of its PDF.
use std::io::{Cursor, Write};

use zip::{write::SimpleFileOptions, CompressionMethod, ZipWriter};

/// 16:9 at 13.333 × 7.5 inches, in EMU (914,400 an inch).
const SLIDE_W: i64 = 12_192_000;
const SLIDE_H: i64 = 6_858_000;
const NOTES_W: i64 = 6_858_000;
const NOTES_H: i64 = 9_144_000;

/// A picture on a slide.
#[derive(Debug, Clone)]
pub struct Picture {
    /// PNG or JPEG bytes.
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl Picture {
    fn extension(&self) -> &'static str {
        if self.bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
            "png"
        } else {
            "jpeg"
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Slide {
    pub title: String,
    pub bullets: Vec<String>,
    pub notes: String,
    pub picture: Option<Picture>,
}

#[derive(Debug, Clone, Default)]
pub struct Deck {
    pub title: String,
    pub subtitle: String,
    /// The title slide's speaker notes.
    pub notes: String,
    pub slides: Vec<Slide>,
}

impl Deck {
    /// The title slide and the content slides.
    pub fn slide_count(&self) -> usize {
        1 + self.slides.len()
    }
}

fn esc(s: &str) -> String {
    // XML 1.0 forbids most control characters even escaped; a model's output may carry them.
    let clean: String = s
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n'))
        .collect();
    quick_xml::escape::escape(clean.as_str()).into_owned()
}

const NS: &str = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main""#;
const XML_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

fn rels(items: &[(String, &str, String)]) -> String {
    let mut out = format!(r#"{XML_HEAD}<Relationships xmlns="{PKG_REL_NS}">"#);
    for (id, kind, target) in items {
        out.push_str(&format!(
            r#"<Relationship Id="{id}" Type="{REL_NS}/{kind}" Target="{target}"/>"#
        ));
    }
    out.push_str("</Relationships>");
    out
}

/// Paragraphs of a text body; each line its own paragraph.
fn paragraphs(lines: &[String], size_hundredths: u32) -> String {
    aligned(lines, size_hundredths, "")
}

/// The same, centred (the title slide).
fn centred(lines: &[String], size_hundredths: u32) -> String {
    aligned(
        lines,
        size_hundredths,
        r#"<a:pPr algn="ctr"><a:buNone/></a:pPr>"#,
    )
}

fn aligned(lines: &[String], size_hundredths: u32, ppr: &str) -> String {
    if lines.is_empty() {
        return "<a:p><a:endParaRPr lang=\"zh-CN\"/></a:p>".into();
    }
    lines
        .iter()
        .map(|l| {
            format!(
                r#"<a:p>{ppr}<a:r><a:rPr lang="zh-CN" sz="{size_hundredths}" dirty="0"/><a:t>{}</a:t></a:r></a:p>"#,
                esc(l)
            )
        })
        .collect()
}

fn placeholder(
    id: u32,
    name: &str,
    ph: &str,
    xfrm: Option<(i64, i64, i64, i64)>,
    body: &str,
) -> String {
    let xfrm = xfrm
        .map(|(x, y, w, h)| {
            format!(r#"<a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{w}" cy="{h}"/></a:xfrm>"#)
        })
        .unwrap_or_default();
    format!(
        r#"<p:sp><p:nvSpPr><p:cNvPr id="{id}" name="{name}"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr><p:nvPr>{ph}</p:nvPr></p:nvSpPr><p:spPr>{xfrm}</p:spPr><p:txBody><a:bodyPr/><a:lstStyle/>{body}</p:txBody></p:sp>"#
    )
}

const GROUP_HEAD: &str = r#"<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/><a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>"#;

fn slide_xml(shapes: &str) -> String {
    format!(
        r#"{XML_HEAD}<p:sld {NS}><p:cSld><p:spTree>{GROUP_HEAD}{shapes}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"#
    )
}

fn title_slide(deck: &Deck) -> String {
    let title = placeholder(
        2,
        "Title 1",
        r#"<p:ph type="ctrTitle"/>"#,
        None,
        &centred(std::slice::from_ref(&deck.title), 4400),
    );
    let subtitle = placeholder(
        3,
        "Subtitle 2",
        r#"<p:ph type="subTitle" idx="1"/>"#,
        None,
        &centred(
            &deck
                .subtitle
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>(),
            2000,
        ),
    );
    slide_xml(&format!("{title}{subtitle}"))
}

/// Fits a picture of `w`×`h` into the box, centred, keeping its shape.
fn fit(w: u32, h: u32, bx: (i64, i64, i64, i64)) -> (i64, i64, i64, i64) {
    let (x, y, bw, bh) = bx;
    let (w, h) = (i64::from(w.max(1)), i64::from(h.max(1)));
    let (fw, fh) = if bw * h <= bh * w {
        (bw, bw * h / w)
    } else {
        (bh * w / h, bh)
    };
    (x + (bw - fw) / 2, y + (bh - fh) / 2, fw, fh)
}

fn content_slide(slide: &Slide) -> String {
    let margin = 457_200;
    let title_box = (margin, 274_638, SLIDE_W - 2 * margin, 1_143_000);
    let body_top = 1_600_200;
    let body_h = SLIDE_H - body_top - margin;
    let mut shapes = placeholder(
        2,
        "Title 1",
        r#"<p:ph type="title"/>"#,
        Some(title_box),
        &paragraphs(std::slice::from_ref(&slide.title), 3200),
    );
    let text_box = match &slide.picture {
        // The picture on the left two fifths, the text beside it.
        Some(p) => {
            let pic_box = (margin, body_top, (SLIDE_W - 2 * margin) * 2 / 5, body_h);
            let (x, y, w, h) = fit(p.width, p.height, pic_box);
            shapes.push_str(&format!(
                r#"<p:pic><p:nvPicPr><p:cNvPr id="4" name="Picture 3"/><p:cNvPicPr><a:picLocks noChangeAspect="1"/></p:cNvPicPr><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed="rId3"/><a:stretch><a:fillRect/></a:stretch></p:blipFill><p:spPr><a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{w}" cy="{h}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic>"#
            ));
            let left = pic_box.0 + pic_box.2 + margin;
            (left, body_top, SLIDE_W - margin - left, body_h)
        }
        None => (margin, body_top, SLIDE_W - 2 * margin, body_h),
    };
    shapes.push_str(&placeholder(
        3,
        "Content 2",
        r#"<p:ph idx="1"/>"#,
        Some(text_box),
        &paragraphs(&slide.bullets, 2000),
    ));
    slide_xml(&shapes)
}

fn notes_xml(notes: &str) -> String {
    let lines: Vec<String> = notes.lines().map(str::to_string).collect();
    let image = r#"<p:sp><p:nvSpPr><p:cNvPr id="2" name="Slide Image 1"/><p:cNvSpPr><a:spLocks noGrp="1" noRot="1" noChangeAspect="1"/></p:cNvSpPr><p:nvPr><p:ph type="sldImg"/></p:nvPr></p:nvSpPr><p:spPr/></p:sp>"#;
    let body = placeholder(
        3,
        "Notes Placeholder 2",
        r#"<p:ph type="body" idx="1"/>"#,
        None,
        &paragraphs(&lines, 1200),
    );
    format!(
        r#"{XML_HEAD}<p:notes {NS}><p:cSld><p:spTree>{GROUP_HEAD}{image}{body}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:notes>"#
    )
}

const CLR_MAP: &str = r#"<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>"#;

fn master_xml() -> String {
    let title = placeholder(
        2,
        "Title Placeholder 1",
        r#"<p:ph type="title"/>"#,
        Some((457_200, 274_638, SLIDE_W - 914_400, 1_143_000)),
        &paragraphs(&["Title".into()], 3200),
    );
    let body = placeholder(
        3,
        "Text Placeholder 2",
        r#"<p:ph type="body" idx="1"/>"#,
        Some((457_200, 1_600_200, SLIDE_W - 914_400, SLIDE_H - 2_057_400)),
        &paragraphs(&["Text".into()], 2000),
    );
    let level = |size: u32, bullet: bool| {
        let bu = if bullet {
            r#"<a:buFont typeface="Arial"/><a:buChar char="•"/>"#
        } else {
            "<a:buNone/>"
        };
        format!(
            r#"<a:lvl1pPr marL="342900" indent="-342900" algn="l">{bu}<a:defRPr sz="{size}"><a:solidFill><a:schemeClr val="tx1"/></a:solidFill><a:latin typeface="+mn-lt"/><a:ea typeface="+mn-ea"/></a:defRPr></a:lvl1pPr>"#
        )
    };
    format!(
        r#"{XML_HEAD}<p:sldMaster {NS}><p:cSld><p:bg><p:bgRef idx="1001"><a:schemeClr val="bg1"/></p:bgRef></p:bg><p:spTree>{GROUP_HEAD}{title}{body}</p:spTree></p:cSld>{CLR_MAP}<p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/><p:sldLayoutId id="2147483650" r:id="rId2"/></p:sldLayoutIdLst><p:txStyles><p:titleStyle><a:lvl1pPr algn="l"><a:defRPr sz="3200" b="1"><a:solidFill><a:schemeClr val="tx1"/></a:solidFill><a:latin typeface="+mj-lt"/><a:ea typeface="+mj-ea"/></a:defRPr></a:lvl1pPr></p:titleStyle><p:bodyStyle>{}</p:bodyStyle><p:otherStyle>{}</p:otherStyle></p:txStyles></p:sldMaster>"#,
        level(2000, true),
        level(1800, false)
    )
}

fn layout_xml(kind: &str, name: &str) -> String {
    let shapes = if kind == "title" {
        let title = placeholder(
            2,
            "Title 1",
            r#"<p:ph type="ctrTitle"/>"#,
            Some((914_400, 2_130_425, SLIDE_W - 1_828_800, 1_470_025)),
            "<a:p><a:endParaRPr lang=\"zh-CN\"/></a:p>",
        );
        let sub = placeholder(
            3,
            "Subtitle 2",
            r#"<p:ph type="subTitle" idx="1"/>"#,
            Some((1_828_800, 3_886_200, SLIDE_W - 3_657_600, 1_752_600)),
            "<a:p><a:endParaRPr lang=\"zh-CN\"/></a:p>",
        );
        format!("{title}{sub}")
    } else {
        let title = placeholder(
            2,
            "Title 1",
            r#"<p:ph type="title"/>"#,
            None,
            "<a:p><a:endParaRPr lang=\"zh-CN\"/></a:p>",
        );
        let body = placeholder(
            3,
            "Content Placeholder 2",
            r#"<p:ph idx="1"/>"#,
            None,
            "<a:p><a:endParaRPr lang=\"zh-CN\"/></a:p>",
        );
        format!("{title}{body}")
    };
    format!(
        r#"{XML_HEAD}<p:sldLayout {NS} type="{kind}" preserve="1"><p:cSld name="{name}"><p:spTree>{GROUP_HEAD}{shapes}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>"#
    )
}

fn notes_master_xml() -> String {
    let body = placeholder(
        2,
        "Notes Placeholder 1",
        r#"<p:ph type="body" idx="1"/>"#,
        Some((685_800, 4_343_400, NOTES_W - 1_371_600, 4_114_800)),
        "<a:p><a:endParaRPr lang=\"zh-CN\"/></a:p>",
    );
    let image = r#"<p:sp><p:nvSpPr><p:cNvPr id="3" name="Slide Image Placeholder 2"/><p:cNvSpPr><a:spLocks noGrp="1" noRot="1" noChangeAspect="1"/></p:cNvSpPr><p:nvPr><p:ph type="sldImg" idx="2"/></p:nvPr></p:nvSpPr><p:spPr><a:xfrm><a:off x="381000" y="685800"/><a:ext cx="6096000" cy="3429000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/></p:spPr></p:sp>"#;
    format!(
        r#"{XML_HEAD}<p:notesMaster {NS}><p:cSld><p:bg><p:bgRef idx="1001"><a:schemeClr val="bg1"/></p:bgRef></p:bg><p:spTree>{GROUP_HEAD}{image}{body}</p:spTree></p:cSld>{CLR_MAP}</p:notesMaster>"#
    )
}

fn theme_xml(name: &str) -> String {
    let fill = |v: &str| format!(r#"<a:solidFill><a:schemeClr val="{v}"/></a:solidFill>"#);
    let line = |w: u32| {
        format!(
            r#"<a:ln w="{w}" cap="flat" cmpd="sng" algn="ctr"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:prstDash val="solid"/><a:miter lim="800000"/></a:ln>"#
        )
    };
    let fills = [fill("phClr"), fill("phClr"), fill("phClr")].concat();
    format!(
        r#"{XML_HEAD}<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="{name}"><a:themeElements><a:clrScheme name="Storyloom"><a:dk1><a:srgbClr val="1F1F1F"/></a:dk1><a:lt1><a:srgbClr val="FFFFFF"/></a:lt1><a:dk2><a:srgbClr val="2B2D42"/></a:dk2><a:lt2><a:srgbClr val="EDF2F4"/></a:lt2><a:accent1><a:srgbClr val="D9480F"/></a:accent1><a:accent2><a:srgbClr val="1971C2"/></a:accent2><a:accent3><a:srgbClr val="2F9E44"/></a:accent3><a:accent4><a:srgbClr val="F08C00"/></a:accent4><a:accent5><a:srgbClr val="7048E8"/></a:accent5><a:accent6><a:srgbClr val="C2255C"/></a:accent6><a:hlink><a:srgbClr val="1971C2"/></a:hlink><a:folHlink><a:srgbClr val="7048E8"/></a:folHlink></a:clrScheme><a:fontScheme name="Storyloom"><a:majorFont><a:latin typeface="Noto Sans"/><a:ea typeface="Noto Sans CJK SC"/><a:cs typeface=""/></a:majorFont><a:minorFont><a:latin typeface="Noto Sans"/><a:ea typeface="Noto Sans CJK SC"/><a:cs typeface=""/></a:minorFont></a:fontScheme><a:fmtScheme name="Storyloom"><a:fillStyleLst>{fills}</a:fillStyleLst><a:lnStyleLst>{}{}{}</a:lnStyleLst><a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst>{fills}</a:bgFillStyleLst></a:fmtScheme></a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>"#,
        line(6350),
        line(12700),
        line(19050)
    )
}

fn content_types(deck: &Deck) -> String {
    let mut out = format!(
        r#"{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Default Extension="jpeg" ContentType="image/jpeg"/>"#
    );
    let pml = "application/vnd.openxmlformats-officedocument.presentationml";
    let mut over = |part: &str, ct: String| {
        out.push_str(&format!(
            r#"<Override PartName="/{part}" ContentType="{ct}"/>"#
        ));
    };
    over(
        "ppt/presentation.xml",
        format!("{pml}.presentation.main+xml"),
    );
    over(
        "ppt/slideMasters/slideMaster1.xml",
        format!("{pml}.slideMaster+xml"),
    );
    over(
        "ppt/slideLayouts/slideLayout1.xml",
        format!("{pml}.slideLayout+xml"),
    );
    over(
        "ppt/slideLayouts/slideLayout2.xml",
        format!("{pml}.slideLayout+xml"),
    );
    over(
        "ppt/notesMasters/notesMaster1.xml",
        format!("{pml}.notesMaster+xml"),
    );
    for t in ["theme1", "theme2"] {
        over(
            &format!("ppt/theme/{t}.xml"),
            "application/vnd.openxmlformats-officedocument.theme+xml".into(),
        );
    }
    for n in 1..=deck.slide_count() {
        over(
            &format!("ppt/slides/slide{n}.xml"),
            format!("{pml}.slide+xml"),
        );
        over(
            &format!("ppt/notesSlides/notesSlide{n}.xml"),
            format!("{pml}.notesSlide+xml"),
        );
    }
    over(
        "docProps/core.xml",
        "application/vnd.openxmlformats-package.core-properties+xml".into(),
    );
    over(
        "docProps/app.xml",
        "application/vnd.openxmlformats-officedocument.extended-properties+xml".into(),
    );
    out.push_str("</Types>");
    out
}

fn presentation_xml(deck: &Deck) -> String {
    let slides: String = (1..=deck.slide_count())
        .map(|n| format!(r#"<p:sldId id="{}" r:id="rId{}"/>"#, 255 + n, 10 + n))
        .collect();
    format!(
        r#"{XML_HEAD}<p:presentation {NS} saveSubsetFonts="1"><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst><p:notesMasterIdLst><p:notesMasterId r:id="rId2"/></p:notesMasterIdLst><p:sldIdLst>{slides}</p:sldIdLst><p:sldSz cx="{SLIDE_W}" cy="{SLIDE_H}"/><p:notesSz cx="{NOTES_W}" cy="{NOTES_H}"/></p:presentation>"#
    )
}

/// The deck as `.pptx` bytes.
pub fn write(deck: &Deck, created_at: &str) -> Result<Vec<u8>, std::io::Error> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let put = |zip: &mut ZipWriter<Cursor<Vec<u8>>>, name: &str, bytes: &[u8]| {
        zip.start_file(name, opts).map_err(std::io::Error::other)?;
        zip.write_all(bytes)
    };
    // [Content_Types].xml first, as readers that stream the archive expect.
    put(
        &mut zip,
        "[Content_Types].xml",
        content_types(deck).as_bytes(),
    )?;
    put(
        &mut zip,
        "_rels/.rels",
        rels(&[
            (
                "rId1".into(),
                "officeDocument",
                "ppt/presentation.xml".into(),
            ),
            (
                "rId2".into(),
                "metadata/core-properties",
                "docProps/core.xml".into(),
            ),
            (
                "rId3".into(),
                "extended-properties",
                "docProps/app.xml".into(),
            ),
        ])
        .replace(
            &format!("{REL_NS}/metadata/core-properties"),
            "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
        )
        .as_bytes(),
    )?;
    put(
        &mut zip,
        "docProps/core.xml",
        format!(
            r#"{XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{}</dc:title><dc:creator>Storyloom</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">{}</dcterms:created></cp:coreProperties>"#,
            esc(&deck.title),
            esc(created_at)
        )
        .as_bytes(),
    )?;
    put(
        &mut zip,
        "docProps/app.xml",
        format!(
            r#"{XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Storyloom</Application><Slides>{}</Slides><Notes>{}</Notes></Properties>"#,
            deck.slide_count(),
            deck.slide_count()
        )
        .as_bytes(),
    )?;
    put(
        &mut zip,
        "ppt/presentation.xml",
        presentation_xml(deck).as_bytes(),
    )?;
    let mut pres_rels = vec![
        (
            "rId1".to_string(),
            "slideMaster",
            "slideMasters/slideMaster1.xml".to_string(),
        ),
        (
            "rId2".into(),
            "notesMaster",
            "notesMasters/notesMaster1.xml".into(),
        ),
        ("rId3".into(), "theme", "theme/theme1.xml".into()),
    ];
    for n in 1..=deck.slide_count() {
        pres_rels.push((
            format!("rId{}", 10 + n),
            "slide",
            format!("slides/slide{n}.xml"),
        ));
    }
    put(
        &mut zip,
        "ppt/_rels/presentation.xml.rels",
        rels(&pres_rels).as_bytes(),
    )?;
    put(
        &mut zip,
        "ppt/slideMasters/slideMaster1.xml",
        master_xml().as_bytes(),
    )?;
    put(
        &mut zip,
        "ppt/slideMasters/_rels/slideMaster1.xml.rels",
        rels(&[
            (
                "rId1".into(),
                "slideLayout",
                "../slideLayouts/slideLayout1.xml".into(),
            ),
            (
                "rId2".into(),
                "slideLayout",
                "../slideLayouts/slideLayout2.xml".into(),
            ),
            ("rId3".into(), "theme", "../theme/theme1.xml".into()),
        ])
        .as_bytes(),
    )?;
    for (n, kind, name) in [(1, "title", "Title Slide"), (2, "obj", "Title and Content")] {
        put(
            &mut zip,
            &format!("ppt/slideLayouts/slideLayout{n}.xml"),
            layout_xml(kind, name).as_bytes(),
        )?;
        put(
            &mut zip,
            &format!("ppt/slideLayouts/_rels/slideLayout{n}.xml.rels"),
            rels(&[(
                "rId1".into(),
                "slideMaster",
                "../slideMasters/slideMaster1.xml".into(),
            )])
            .as_bytes(),
        )?;
    }
    put(
        &mut zip,
        "ppt/theme/theme1.xml",
        theme_xml("Storyloom").as_bytes(),
    )?;
    put(
        &mut zip,
        "ppt/theme/theme2.xml",
        theme_xml("Storyloom Notes").as_bytes(),
    )?;
    put(
        &mut zip,
        "ppt/notesMasters/notesMaster1.xml",
        notes_master_xml().as_bytes(),
    )?;
    put(
        &mut zip,
        "ppt/notesMasters/_rels/notesMaster1.xml.rels",
        rels(&[("rId1".into(), "theme", "../theme/theme2.xml".into())]).as_bytes(),
    )?;

    let notes_of = |n: usize| {
        if n == 1 {
            deck.notes.as_str()
        } else {
            deck.slides[n - 2].notes.as_str()
        }
    };
    for n in 1..=deck.slide_count() {
        let (xml, picture) = if n == 1 {
            (title_slide(deck), None)
        } else {
            let s = &deck.slides[n - 2];
            (content_slide(s), s.picture.as_ref())
        };
        put(
            &mut zip,
            &format!("ppt/slides/slide{n}.xml"),
            xml.as_bytes(),
        )?;
        let layout = if n == 1 { 1 } else { 2 };
        let mut slide_rels = vec![
            (
                "rId1".to_string(),
                "slideLayout",
                format!("../slideLayouts/slideLayout{layout}.xml"),
            ),
            (
                "rId2".into(),
                "notesSlide",
                format!("../notesSlides/notesSlide{n}.xml"),
            ),
        ];
        if let Some(p) = picture {
            let media = format!("media/image{n}.{}", p.extension());
            put(&mut zip, &format!("ppt/{media}"), &p.bytes)?;
            slide_rels.push(("rId3".into(), "image", format!("../{media}")));
        }
        put(
            &mut zip,
            &format!("ppt/slides/_rels/slide{n}.xml.rels"),
            rels(&slide_rels).as_bytes(),
        )?;
        put(
            &mut zip,
            &format!("ppt/notesSlides/notesSlide{n}.xml"),
            notes_xml(notes_of(n)).as_bytes(),
        )?;
        put(
            &mut zip,
            &format!("ppt/notesSlides/_rels/notesSlide{n}.xml.rels"),
            rels(&[
                (
                    "rId1".into(),
                    "notesMaster",
                    "../notesMasters/notesMaster1.xml".into(),
                ),
                ("rId2".into(), "slide", format!("../slides/slide{n}.xml")),
            ])
            .as_bytes(),
        )?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn deck() -> Deck {
        Deck {
            title: "新品发布会 <Launch> & more".into(),
            subtitle: "2026".into(),
            notes: "开场白".into(),
            slides: vec![
                Slide {
                    title: "产品介绍".into(),
                    bullets: vec!["一".into(), "二\u{0007}".into()],
                    notes: "讲稿一".into(),
                    picture: None,
                },
                Slide {
                    title: "核心功能".into(),
                    bullets: vec![],
                    notes: String::new(),
                    picture: Some(Picture {
                        bytes: vec![0x89, b'P', b'N', b'G', 0, 0],
                        width: 9,
                        height: 16,
                    }),
                },
            ],
        }
    }

    #[test]
    fn every_part_is_well_formed_xml_and_referenced_parts_exist() {
        let bytes = write(&deck(), "2026-12-07T00:00:00Z").unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let names: Vec<String> = (0..zip.len())
            .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        assert_eq!(names[0], "[Content_Types].xml");
        for name in &names {
            let mut text = String::new();
            if name.ends_with(".xml") || name.ends_with(".rels") {
                zip.by_name(name)
                    .unwrap()
                    .read_to_string(&mut text)
                    .unwrap();
                let mut reader = quick_xml::Reader::from_str(&text);
                loop {
                    match reader.read_event() {
                        Ok(quick_xml::events::Event::Eof) => break,
                        Ok(_) => {}
                        Err(e) => panic!("{name}: {e}"),
                    }
                }
                assert!(!text.contains('\u{0007}'), "{name}: a control character");
            }
        }
        for part in [
            "ppt/slides/slide3.xml",
            "ppt/notesSlides/notesSlide3.xml",
            "ppt/media/image3.png",
        ] {
            assert!(names.iter().any(|n| n == part), "{part} missing: {names:?}");
        }
        let mut title = String::new();
        zip.by_name("ppt/slides/slide1.xml")
            .unwrap()
            .read_to_string(&mut title)
            .unwrap();
        assert!(
            title.contains("新品发布会 &lt;Launch&gt; &amp; more"),
            "{title}"
        );
        let mut notes = String::new();
        zip.by_name("ppt/notesSlides/notesSlide2.xml")
            .unwrap()
            .read_to_string(&mut notes)
            .unwrap();
        assert!(notes.contains("讲稿一"));
    }

    #[test]
    fn a_picture_keeps_its_shape_inside_its_box() {
        let (x, y, w, h) = fit(9, 16, (0, 0, 1_000, 1_000));
        assert_eq!((w, h), (562, 1_000));
        assert_eq!((x, y), (219, 0));
        let (_, y, w, h) = fit(16, 9, (0, 0, 1_000, 1_000));
        assert_eq!((w, h), (1_000, 562));
        assert_eq!(y, 219);
    }
}
