//! Issue 14: `.docx` scripts (what most screenwriters deliver) import like `.txt` ones, over real TCP.
//! The documents are real Word files made here with the zip crate: content types, relationships and
//! `word/document.xml` with what Word writes (runs split mid-word, tabs, breaks, entities, a table, a
//! text box with its fallback copy, tracked deletions).
use crate::common;

use std::io::{Cursor, Write};

use common::{assert_error, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use storyloom::config::AuthMode;
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

/// A zip holding `files` (name, contents), deflated as Word does.
fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A Word document whose body is `body` (WordprocessingML inside `<w:body>`).
fn docx(body: &str) -> Vec<u8> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" xmlns:v="urn:schemas-microsoft-com:vml"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("word/document.xml", &document),
    ])
}

fn para(runs: &str) -> String {
    format!("<w:p><w:pPr><w:pStyle w:val=\"Normal\"/></w:pPr>{runs}</w:p>")
}

fn r(text: &str) -> String {
    format!("<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">{text}</w:t></w:r>")
}

/// A Chinese short-drama episode as Word holds it.
fn episode() -> (Vec<u8>, &'static str) {
    let body = [
        para(&r("第1集")),
        para(&(r("场景1：") + &r("客厅") + &r(" 日 内"))),
        // Word splits runs anywhere (spell check, formatting).
        para(&(r("林") + &r("晓：你回来了。"))),
        para(&(r("顾辰：嗯") + &r("，我回来了。"))),
        // Tracked changes: deleted text is not part of the script.
        para(&(r("△陈母端着汤走进来") + "<w:del><w:r><w:delText>，很生气</w:delText></w:r></w:del>" + &r("。"))),
        "<w:p/>".to_string(),
        para(&r("场景2：公园 夜 外")),
        // A table of dialogue, one line per cell.
        "<w:tbl><w:tr><w:tc>".to_string() + &para(&r("林晓：今天谢谢你。")) + "</w:tc><w:tc>" + &para(&r("顾辰：不用谢 &amp; 再见。")) + "</w:tc></w:tr></w:tbl>",
        // A text box (and its VML fallback copy, which must not be read twice).
        para(&format!(
            "<w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wps:txbx><w:txbxContent>{}</w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox><w:txbxContent>{}</w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r>{}",
            para(&r("△夜色很深。")),
            para(&r("△夜色很深。")),
            r("△两人并肩走着。")
        )),
        para(&(r("林晓：") + "<w:r><w:tab/></w:r>" + &r("再见。") + "<w:r><w:br/></w:r>" + &r("明天见。"))),
    ]
    .concat();
    let text = "第1集\n场景1：客厅 日 内\n林晓：你回来了。\n顾辰：嗯，我回来了。\n△陈母端着汤走进来。\n\n场景2：公园 夜 外\n林晓：今天谢谢你。\n顾辰：不用谢 & 再见。\n△夜色很深。\n△两人并肩走着。\n林晓：\t再见。\n明天见。\n";
    (docx(&body), text)
}

async fn project(s: &TestServer) -> (String, String) {
    let (status, p) = s.post("/api/v1/projects", json!({"name": "Ep 1"})).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    (
        p["id"].as_str().unwrap().to_string(),
        p["current_version_id"].as_str().unwrap().to_string(),
    )
}

async fn upload(
    s: &TestServer,
    p: &str,
    v: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    s.multipart(
        &format!("/api/v1/projects/{p}/versions/{v}/script/upload"),
        &[],
        vec![("file", name, bytes)],
    )
    .await
}

#[tokio::test]
async fn a_word_document_imports_as_the_script() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    let (bytes, text) = episode();
    let (status, up) = upload(&s, &p, &v, "重生 第1集.DOCX", bytes.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    assert_eq!(up["filename"], "重生 第1集.DOCX");
    assert_eq!(up["encoding"], "utf-8");
    let (_, script) = s
        .get(&format!("/api/v1/projects/{p}/versions/{v}/script"))
        .await;
    assert_eq!(script["text"], text);
    // Parsed like a typed script: both scenes and the speakers.
    let (_, chars) = s.get(&format!("/api/v1/characters?project_id={p}")).await;
    let mut names: Vec<&str> = chars["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["林晓", "顾辰"]);
    let (_, board) = s.get(&format!("/api/v1/projects/{p}/storyboard")).await;
    assert_eq!(board["scenes"].as_array().unwrap().len(), 2, "{board}");
    // The document itself is kept, as sent, as a Word file.
    let (_, asset) = s
        .get(&format!(
            "/api/v1/assets/{}",
            up["asset_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        asset["mime_type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let res = s
        .client
        .get(s.url(up["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
    // Re-parsing from the stored document reads it again.
    let (status, parsed) = s
        .post(
            &format!("/api/v1/projects/{p}/versions/{v}/script/parse"),
            json!({"script_asset_id": up["asset_id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{parsed}");
    let (_, script) = s
        .get(&format!("/api/v1/projects/{p}/versions/{v}/script"))
        .await;
    assert_eq!(script["text"], text);
}

#[tokio::test]
async fn broken_or_fake_word_documents_are_422_naming_the_file() {
    let s = TestServer::start(AuthMode::Local).await;
    let (p, v) = project(&s).await;
    let (good, _) = episode();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "plain text renamed",
            "林晓：你好。".as_bytes().to_vec(),
            "not a zip",
        ),
        ("truncated", good[..good.len() / 2].to_vec(), ".docx"),
        (
            "a zip of something else",
            zip_of(&[("readme.txt", "hello")]),
            "word/document.xml",
        ),
        (
            "bad XML",
            zip_of(&[(
                "word/document.xml",
                "<w:document><w:body><w:p><w:t>hi</w:p>",
            )]),
            "not valid XML",
        ),
        ("empty", docx(&para("")), "empty"),
        ("nothing at all", Vec::new(), ""),
    ];
    for (what, bytes, says) in cases {
        let (status, body) = upload(&s, &p, &v, "script.docx", bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
        assert_error(&body, "VALIDATION_ERROR", Some("file"));
        assert!(
            body["detail"].as_str().unwrap().contains(says),
            "{what}: {body}"
        );
    }
    // Nothing was stored and the version still has no script.
    let (_, script) = s
        .get(&format!("/api/v1/projects/{p}/versions/{v}/script"))
        .await;
    assert_eq!(script["text"], "", "{script}");
}
