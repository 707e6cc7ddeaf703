//! Drawing on A4 portrait pages with the built-in Helvetica fonts (WinAnsiEncoding, nothing
//! embedded), so text is measured with the fonts' own advance widths to be cut or wrapped.
//! Positions are kept as distances from the top of the page and flipped when drawn.

use pdf_writer::{Content, Name, Str};

pub(super) const PAGE_WIDTH: f32 = 595.28;
pub(super) const PAGE_HEIGHT: f32 = 841.89;
pub(super) const MARGIN: f32 = 40.0;
pub(super) const RIGHT_EDGE: f32 = PAGE_WIDTH - MARGIN;
/// Body content ends here; the footer lives below.
const BODY_BOTTOM: f32 = PAGE_HEIGHT - 62.0;

#[derive(Clone, Copy)]
pub(super) enum Font {
    Regular,
    Bold,
}

/// Advance widths (1/1000 em) of the printable ASCII characters, from Adobe's AFM files.
const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space…/
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0…9
    278, 278, 584, 584, 584, 556, 1015, // :…@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A…M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N…Z
    278, 278, 278, 469, 556, 333, // [ \ ] ^ _ `
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a…m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n…z
    334, 260, 334, 584, // { | } ~
];
const HELVETICA_BOLD_WIDTHS: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // space…/
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0…9
    333, 333, 584, 584, 584, 611, 975, // :…@
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, // A…M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N…Z
    333, 278, 333, 584, 556, 333, // [ \ ] ^ _ `
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, // a…m
    611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, // n…z
    389, 280, 389, 584, // { | } ~
];

impl Font {
    pub(super) fn resource(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }

    fn advance(self, byte: u8) -> f32 {
        let widths = match self {
            Font::Regular => &HELVETICA_WIDTHS,
            Font::Bold => &HELVETICA_BOLD_WIDTHS,
        };
        match byte {
            32..=126 => f32::from(widths[usize::from(byte - 32)]),
            // Accented capitals are the widest Latin-1 letters: never under-measure.
            _ => 778.0,
        }
    }
}

#[derive(Clone, Copy)]
pub(super) struct Style {
    pub(super) font: Font,
    pub(super) size: f32,
    /// 0 = black.
    pub(super) gray: f32,
}

pub(super) const TITLE: Style = Style { font: Font::Bold, size: 18.0, gray: 0.0 };
pub(super) const HEADING: Style = Style { font: Font::Bold, size: 10.5, gray: 0.0 };
pub(super) const BODY: Style = Style { font: Font::Regular, size: 8.5, gray: 0.0 };
pub(super) const BODY_BOLD: Style = Style { font: Font::Bold, size: 8.5, gray: 0.0 };
pub(super) const LABEL: Style = Style { font: Font::Regular, size: 8.5, gray: 0.4 };
pub(super) const SMALL_MUTED: Style = Style { font: Font::Regular, size: 7.5, gray: 0.4 };
pub(super) const CELL: Style = Style { font: Font::Regular, size: 7.5, gray: 0.0 };
pub(super) const CELL_BOLD: Style = Style { font: Font::Bold, size: 7.5, gray: 0.0 };
pub(super) const CELL_MUTED: Style = Style { font: Font::Regular, size: 7.0, gray: 0.4 };
pub(super) const TOTAL: Style = Style { font: Font::Bold, size: 10.5, gray: 0.0 };

/// The PDF fonts' single-byte encoding; characters it lacks become `?`.
pub(super) fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{A0}'..='\u{FF}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            'Š' => 0x8A,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'š' => 0x9A,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            c if c.is_whitespace() => b' ',
            _ => b'?',
        })
        .collect()
}

fn text_width(text: &str, style: Style) -> f32 {
    let units: f32 = win_ansi(text).into_iter().map(|b| style.font.advance(b)).sum();
    units * style.size / 1000.0
}

/// `text`, cut with `...` so that it is at most `max_width` wide.
pub(super) fn fit(text: &str, style: Style, max_width: f32) -> String {
    if text_width(text, style) <= max_width {
        return text.to_string();
    }
    let mut cut: String = text.to_string();
    while !cut.is_empty() && text_width(&format!("{cut}..."), style) > max_width {
        cut.pop();
    }
    format!("{}...", cut.trim_end())
}

/// Greedy word wrap; a word wider than the line is cut.
pub(super) fn wrap(text: &str, style: Style, max_width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        if text_width(&candidate, style) <= max_width || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines.into_iter().map(|line| fit(&line, style, max_width)).collect()
}

/// Content streams of the pages drawn so far and the cursor on the current one.
pub(super) struct Canvas {
    pub(super) pages: Vec<Content>,
    pub(super) page: usize,
    /// Distance of the cursor from the top of the page.
    pub(super) top: f32,
}

impl Canvas {
    pub(super) fn new() -> Self {
        Canvas { pages: vec![Content::new()], page: 0, top: MARGIN }
    }

    fn content(&mut self) -> &mut Content {
        &mut self.pages[self.page]
    }

    pub(super) fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.page = self.pages.len() - 1;
        self.top = MARGIN;
    }

    pub(super) fn fits(&self, height: f32) -> bool {
        self.top + height <= BODY_BOTTOM
    }

    /// Text with its baseline `baseline` below the top of the page.
    pub(super) fn text(&mut self, x: f32, baseline: f32, style: Style, text: &str) {
        let bytes = win_ansi(text);
        let content = self.content();
        if style.gray > 0.0 {
            content.set_fill_gray(style.gray);
        }
        content.begin_text();
        content.set_font(style.font.resource(), style.size);
        content.next_line(x, PAGE_HEIGHT - baseline);
        content.show(Str(&bytes));
        content.end_text();
        if style.gray > 0.0 {
            content.set_fill_gray(0.0);
        }
    }

    pub(super) fn text_right(&mut self, right: f32, baseline: f32, style: Style, text: &str) {
        self.text(right - text_width(text, style), baseline, style, text);
    }

    pub(super) fn text_centered(&mut self, center: f32, baseline: f32, style: Style, text: &str) {
        self.text(center - text_width(text, style) / 2.0, baseline, style, text);
    }

    pub(super) fn rule(&mut self, from: f32, to: f32, at: f32, width: f32, gray: f32) {
        let content = self.content();
        content.set_stroke_gray(gray);
        content.set_line_width(width);
        content.move_to(from, PAGE_HEIGHT - at);
        content.line_to(to, PAGE_HEIGHT - at);
        content.stroke();
    }

    pub(super) fn shade(&mut self, x: f32, top: f32, width: f32, height: f32, gray: f32) {
        let content = self.content();
        content.set_fill_gray(gray);
        content.rect(x, PAGE_HEIGHT - top - height, width, height);
        content.fill_nonzero();
        content.set_fill_gray(0.0);
    }
}
